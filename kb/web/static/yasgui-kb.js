// The richer query editor (YASGUI, served by this server like every other file): it
// takes the place of the plain form when scripts run; without them the form works alone.
(function () {
  "use strict";
  var box = document.getElementById("editor");
  var form = document.querySelector("form.query-form");
  if (!box || !form || typeof window.Yasgui === "undefined") {
    return;
  }
  var endpoint = new URL(box.getAttribute("data-endpoint"), document.baseURI).href;
  var yasgui = new window.Yasgui(box, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: endpoint }];
      },
      keys: [],
    },
    // the class and property completers ask lov.linkeddata.es: only local ones here
    yasqe: { autocompleters: ["prefixes", "variables"] },
    persistenceId: null,
  });
  var text = form.querySelector("textarea").value;
  if (text.trim()) {
    yasgui.getTab().setQuery(text);
  }
  labelFields(box);
  // one query tab: YASGUI's "add a tab" button sits in its tab list, which may hold
  // only tabs (axe: aria-required-children)
  var add = box.querySelector(".addTab");
  if (add && add.parentElement) {
    add.parentElement.remove();
  }
  form.hidden = true;
  box.hidden = false;

  // YASGUI leaves some fields without a name a screen reader could say
  function labelFields(root) {
    var names = [
      [".CodeMirror textarea", "Query"],
      ["input.autocomplete", "SPARQL endpoint"],
      [".tab input", "Tab name"],
      ["select", "Result format"],
    ];
    names.forEach(function (pair) {
      root.querySelectorAll(pair[0]).forEach(function (field) {
        if (!field.getAttribute("aria-label") && !field.labels.length) {
          field.setAttribute("aria-label", pair[1]);
        }
      });
    });
  }
})();
