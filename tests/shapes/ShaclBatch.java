// Validate many data files against one shapes file in a single JVM, with the same Jena
// calls as `jena shacl validate` (Shapes.parse + ShaclValidator.validate), so the fixture
// tests pay Jena's start-up once. Run through scripts/jena, which supplies the
// class path: `jena /path/ShaclBatch.java SHAPES LIST` (Java's single-file source mode).
// LIST has one "DATA<TAB>REPORT" pair per line; each report is written as N-Triples.

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.jena.graph.Graph;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;

public class ShaclBatch {
    public static void main(String[] args) throws Exception {
        Shapes shapes = Shapes.parse(RDFDataMgr.loadGraph(args[0]));
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            if (line.isBlank()) {
                continue;
            }
            String[] pair = line.split("\t");
            Graph data = RDFDataMgr.loadGraph(pair[0]);
            ValidationReport report = ShaclValidator.get().validate(shapes, data);
            try (OutputStream out = new FileOutputStream(pair[1])) {
                RDFDataMgr.write(out, report.getModel(), Lang.NTRIPLES);
            }
        }
    }
}
