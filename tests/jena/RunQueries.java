// Run many SPARQL queries over one data file in a single JVM with Jena ARQ (the engine of
// `arq`), writing SPARQL JSON results (SELECT/ASK) or N-Triples (CONSTRUCT/DESCRIBE).
// usage: jena tests/jena/RunQueries.java DATA OUTDIR QUERY.rq...  -> OUTDIR/NAME.srj|.nt
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import org.apache.jena.query.*;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;

public class RunQueries {
    public static void main(String[] args) throws Exception {
        Model data = RDFDataMgr.loadModel(args[0]);
        Path out = Path.of(args[1]);
        for (int i = 2; i < args.length; i++) {
            Query query = QueryFactory.read(args[i]);
            String name = Path.of(args[i]).getFileName().toString().replaceAll("\\.rq$", "");
            boolean graph = query.isConstructType() || query.isDescribeType();
            Path target = out.resolve(name + (graph ? ".nt" : ".srj"));
            try (QueryExecution exec = QueryExecutionFactory.create(query, data);
                 OutputStream stream = new FileOutputStream(target.toFile())) {
                if (query.isSelectType()) {
                    ResultSetFormatter.outputAsJSON(stream, exec.execSelect());
                } else if (query.isAskType()) {
                    ResultSetFormatter.outputAsJSON(stream, exec.execAsk());
                } else {
                    RDFDataMgr.write(stream, query.isConstructType()
                        ? exec.execConstruct() : exec.execDescribe(), Lang.NTRIPLES);
                }
            }
        }
    }
}
