/* newsearch widget: the search box, results, facets and paging inside a Shadow DOM.
 *
 *   <div id="news-search"></div>
 *   <script src="https://search.example.org/widget.js" data-target="#news-search" async></script>
 *
 * No dependencies, no build step. Text from the API is only ever inserted as text nodes; the
 * `<mark>` tags of highlights are recognised literally and become <mark> elements, so no other
 * markup from an article can reach the page. See docs/embedding.md for the data- attributes
 * and the CSS custom properties.
 */
(function () {
  "use strict";

  // The facets and their labels, from the server's field declaration (search/fields.py): the
  // server writes them between the markers when it serves this file.
  var FIELDS = /*fields*/{"filters":["source","person","org","place","author"],"labels":{"en":{"source":"Source","person":"People","org":"Organisations","place":"Places","author":"Authors","date":"Date"},"es":{"source":"Fuente","person":"Personas","org":"Organizaciones","place":"Lugares","author":"Autores","date":"Fecha"},"fr":{"source":"Source","person":"Personnes","org":"Organisations","place":"Lieux","author":"Auteurs","date":"Date"},"de":{"source":"Quelle","person":"Personen","org":"Organisationen","place":"Orte","author":"Autoren","date":"Datum"}}}/*fields*/;
  var FILTERS = FIELDS.filters;
  var LABELS = {
    en: {
      label: "Search news", placeholder: "Search news…", search: "Search", suggestions: "Suggestions",
      results: ["{n} result for “{q}”", "{n} results for “{q}”"], latest: ["{n} article", "{n} articles"],
      none: "No results for “{q}”.", empty: "Type a query and press Enter.", error: "Search is unavailable right now.",
      retry: "Try again", dym: "Did you mean", prev: "Previous", next: "Next", page: "Page {p} of {n}", pages: "Pages",
      filters: "Filters", loading: "Searching…", sort: "Sort by", relevance: "Relevance", newest: "Newest first",
      range: "Date range", from: "From", to: "To", apply: "Apply", active: "Active filters", clear: "Clear all", remove: "Remove {f}", week: "Week of {d}", versions: "{n} versions", more: "and {n} more"
    },
    es: {
      label: "Buscar noticias", placeholder: "Buscar noticias…", search: "Buscar", suggestions: "Sugerencias",
      results: ["{n} resultado para «{q}»", "{n} resultados para «{q}»"], latest: ["{n} artículo", "{n} artículos"],
      none: "No hay resultados para «{q}».", empty: "Escriba una búsqueda y pulse Intro.", error: "La búsqueda no está disponible ahora.",
      retry: "Reintentar", dym: "Quizás quiso decir", prev: "Anterior", next: "Siguiente", page: "Página {p} de {n}", pages: "Páginas",
      filters: "Filtros", loading: "Buscando…", sort: "Ordenar por", relevance: "Relevancia", newest: "Más recientes",
      range: "Fechas", from: "Desde", to: "Hasta", apply: "Aplicar", active: "Filtros activos", clear: "Quitar todos", remove: "Quitar {f}", week: "Semana del {d}", versions: "{n} versiones", more: "y {n} más"
    },
    fr: {
      label: "Rechercher des articles", placeholder: "Rechercher…", search: "Rechercher", suggestions: "Suggestions",
      results: ["{n} résultat pour « {q} »", "{n} résultats pour « {q} »"], latest: ["{n} article", "{n} articles"],
      none: "Aucun résultat pour « {q} ».", empty: "Saisissez une recherche puis Entrée.", error: "La recherche est indisponible pour le moment.",
      retry: "Réessayer", dym: "Essayez avec", prev: "Précédent", next: "Suivant", page: "Page {p} sur {n}", pages: "Pages",
      filters: "Filtres", loading: "Recherche…", sort: "Trier par", relevance: "Pertinence", newest: "Plus récents",
      range: "Période", from: "Du", to: "Au", apply: "Appliquer", active: "Filtres actifs", clear: "Tout effacer", remove: "Retirer {f}", week: "Semaine du {d}", versions: "{n} versions", more: "et {n} de plus"
    },
    de: {
      label: "Nachrichten durchsuchen", placeholder: "Nachrichten durchsuchen…", search: "Suchen", suggestions: "Vorschläge",
      results: ["{n} Treffer für „{q}“", "{n} Treffer für „{q}“"], latest: ["{n} Artikel", "{n} Artikel"],
      none: "Keine Treffer für „{q}“.", empty: "Suchbegriff eingeben und Enter drücken.", error: "Die Suche ist gerade nicht verfügbar.",
      retry: "Erneut versuchen", dym: "Meinten Sie", prev: "Zurück", next: "Weiter", page: "Seite {p} von {n}", pages: "Seiten",
      filters: "Filter", loading: "Suche läuft…", sort: "Sortieren nach", relevance: "Relevanz", newest: "Neueste zuerst",
      range: "Zeitraum", from: "Von", to: "Bis", apply: "Anwenden", active: "Aktive Filter", clear: "Alle entfernen", remove: "{f} entfernen", week: "Woche ab {d}", versions: "{n} Versionen", more: "und {n} weitere"
    }
  };

  Object.keys(LABELS).forEach(function (lang) { LABELS[lang].facet = FIELDS.labels[lang] || FIELDS.labels.en; });

  var CSS = [
    ":host{all:initial;display:block;contain:content}",
    ".ns{box-sizing:border-box;font-family:var(--ns-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);font-size:var(--ns-font-size,16px);",
    "font-weight:400;font-style:normal;line-height:1.5;letter-spacing:normal;text-align:start;text-transform:none;color:var(--ns-text,#1f2328);",
    "background:var(--ns-bg,#fff);padding:var(--ns-padding,12px);border-radius:var(--ns-radius,8px);container:ns/inline-size}",
    "[hidden]{display:none!important}",
    ".ns *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:inherit}",
    "form{display:flex;gap:8px;position:relative}",
    ".box{flex:1;position:relative}",
    "label.vh,.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "input,select{width:100%;padding:.55em .8em;border:1px solid var(--ns-border,#c4c9d0);border-radius:var(--ns-radius,8px);background:var(--ns-bg,#fff)}",
    "input:focus,select:focus,button:focus-visible,a:focus-visible{outline:2px solid var(--ns-accent,#0b57d0);outline-offset:1px}",
    "button{cursor:pointer;border:1px solid var(--ns-border,#c4c9d0);background:var(--ns-bg,#fff);border-radius:var(--ns-radius,8px);padding:.35em .8em}",
    "button.go{background:var(--ns-accent,#0b57d0);border-color:var(--ns-accent,#0b57d0);color:var(--ns-accent-text,#fff)}",
    "button:disabled{opacity:.45;cursor:default}",
    "ul.sugg{position:absolute;z-index:2;left:0;right:0;top:100%;margin:2px 0 0;padding:4px 0;list-style:none;background:var(--ns-bg,#fff);",
    "border:1px solid var(--ns-border,#c4c9d0);border-radius:var(--ns-radius,8px);box-shadow:0 4px 12px rgba(0,0,0,.12)}",
    "ul.sugg li{padding:.3em .8em;cursor:pointer;display:flex;justify-content:space-between;gap:1em}",
    "ul.sugg .k{color:var(--ns-muted,#59636e);font-size:.8em;align-self:center}",
    "ul.sugg li[aria-selected=true],ul.sugg li:hover{background:var(--ns-hover,rgba(11,87,208,.1))}",
    ".bar{display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;margin:10px 0 6px}",
    ".status{flex:1 1 12em;color:var(--ns-muted,#59636e);font-size:.9em}",
    ".tools{display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:.875em}",
    ".tools label{display:flex;align-items:center;gap:6px;color:var(--ns-muted,#59636e);white-space:nowrap}",
    ".tools select{width:auto;padding:.3em .5em;color:var(--ns-text,#1f2328)}",
    ".ftoggle{display:none}",
    ".cnt{display:inline-block;min-width:1.5em;margin-inline-start:4px;padding:0 .35em;border-radius:999px;background:var(--ns-accent,#0b57d0);color:var(--ns-accent-text,#fff);font-size:.85em;text-align:center}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:0 0 8px;padding:0;list-style:none;font-size:.85em}",
    ".chip{display:inline-flex;align-items:center;max-width:100%;border:1px solid var(--ns-accent,#0b57d0);border-radius:999px;background:var(--ns-hover,rgba(11,87,208,.1));padding-inline-start:.75em}",
    ".chip span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".chip button{border:0;background:none;border-radius:999px;padding:.1em .6em;font-size:1.15em;line-height:1.2}",
    ".chips button.clear{border:0;background:none;padding:.1em .3em;color:var(--ns-accent,#0b57d0);text-decoration:underline}",
    ".dym button{border:0;padding:0;background:none;color:var(--ns-accent,#0b57d0);text-decoration:underline;font-style:italic}",
    ".body{display:flex;gap:20px;align-items:flex-start}",
    ".facets{flex:0 0 13em;font-size:.875em}",
    ".facets h3{font-size:1em;font-weight:600;margin:12px 0 4px}",
    ".facets ul{list-style:none;margin:0;padding:0}",
    "form.range{flex-wrap:wrap;align-items:flex-end;gap:6px 8px}",
    ".range div{flex:1 1 9em}",
    ".range label{display:block;margin-bottom:2px;color:var(--ns-muted,#59636e)}",
    ".range input{padding:.3em .5em}",
    ".facets .range button{width:auto;border-color:var(--ns-border,#c4c9d0);padding:.3em .9em}",
    ".facets li{margin:2px 0}",
    ".facets button{width:100%;display:flex;justify-content:space-between;gap:6px;text-align:start;border-color:transparent;padding:.15em .5em}",
    ".facets button[aria-pressed=true]{border-color:var(--ns-accent,#0b57d0);background:var(--ns-hover,rgba(11,87,208,.1));font-weight:600}",
    ".facets .n{color:var(--ns-muted,#59636e)}",
    ".main{flex:1;min-width:0}",
    "ol.hits{list-style:none;margin:0;padding:0}",
    "ol.hits>li{padding:10px 0;border-bottom:1px solid var(--ns-border,#e3e6ea)}",
    "h3.t{margin:0;font-size:1.1em;font-weight:600}",
    "h3.t a{color:var(--ns-accent,#0b57d0);text-decoration:none}",
    "h3.t a:hover{text-decoration:underline}",
    ".meta{color:var(--ns-muted,#59636e);font-size:.85em}",
    "p.s{margin:4px 0 0;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3;line-clamp:3;overflow:hidden}",
    "details.v{margin-top:4px;font-size:.85em;color:var(--ns-muted,#59636e)}",
    "details.v summary{cursor:pointer;width:max-content}",
    "details.v ul{margin:4px 0 0;padding-left:1.2em}details.v li{padding:1px 0}",
    "details.v a{color:var(--ns-accent,#0b57d0)}",
    "mark{display:inline;background:var(--ns-mark,#fff1a8);color:inherit;padding:0 1px;border-radius:2px}",
    "nav.pg{display:flex;gap:6px;align-items:center;margin-top:12px;flex-wrap:wrap}",
    "nav.pg button[aria-current=page]{background:var(--ns-accent,#0b57d0);color:var(--ns-accent-text,#fff);border-color:var(--ns-accent,#0b57d0)}",
    ".msg{padding:16px 0;color:var(--ns-muted,#59636e)}",
    ".err{color:var(--ns-error,#b3261e)}",
    // Below 640 px of the widget's own width (a phone, or a narrow column): results first, the facets
    // behind the Filters button, opened above the results.
    "@container ns (max-width:640px){.body{flex-direction:column;gap:0}.facets{flex:none;width:100%;display:none;",
    "border:1px solid var(--ns-border,#e3e6ea);border-radius:var(--ns-radius,8px);padding:0 12px 12px;margin-bottom:8px}",
    ".facets.open{display:block}.ftoggle{display:inline-block}.status{flex-basis:100%}.tools{width:100%;justify-content:space-between}}"
  ].join("");

  // -- small helpers -------------------------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      (Array.isArray(c) ? c : [c]).forEach(function (x) {
        if (x != null) el.appendChild(typeof x === "string" ? document.createTextNode(x) : x);
      });
    }
    return el;
  }

  var ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  function unescapeHTML(s) {
    return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, function (m, e) {
      if (e[0] === "#") {
        var n = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
      }
      return ENTITIES[e.toLowerCase()] || m;
    });
  }

  // The API's highlights: escaped text with literal <mark>…</mark>. Split on those two tags only;
  // everything else becomes a text node, so `<img onerror>` in an article stays text.
  function marked(s) {
    var out = [], inMark = false;
    String(s || "").split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") inMark = true;
      else if (part === "</mark>") inMark = false;
      else if (part) {
        var text = document.createTextNode(unescapeHTML(part));
        out.push(inMark ? h("mark", null, text) : text);
      }
    });
    return out;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? values[k] : m; });
  }

  function list(value) {
    return value ? String(value).split(",").map(function (x) { return x.trim(); }).filter(Boolean) : [];
  }

  function isDay(s) {
    var d = /^\d{4}-\d{2}-\d{2}$/.test(s || "") && new Date(s + "T00:00:00Z");
    return !!d && !isNaN(d) && d.toISOString().slice(0, 10) === s;
  }

  var DAY = 864e5;
  function utc(y, m, d) {
    var t = new Date(0);
    t.setUTCFullYear(y, m, d);  // not Date.UTC, which reads years 0-99 as 1900-1999
    return t;
  }

  function iso(t) { return t.toISOString().slice(0, 10); }

  // A bucket of the date facet (YYYY-MM-DD, YYYY-Www: an ISO 8601 week, YYYY-MM or YYYY) as its kind and
  // its first and last days, which are the API's `from` and `to` (both inclusive):
  // "2023-W18" -> ["week", "2023-05-01", "2023-05-07"]. Null for anything else.
  function dateRange(value) {
    var m = /^(\d{4})(?:-(W?)(\d{2})(-\d{2})?)?$/.exec(value || ""), y = m ? +m[1] : 0, n = m && +m[3], a;
    if (!y || m[2] && m[4]) return null;
    if (m[4]) return isDay(value) ? ["day", value, value] : null;
    if (m[2]) {  // weeks start on Monday, and week 1 is the one with 4 January in it
      a = utc(y, 0, 4);
      a = utc(y, 0, 4 - (a.getUTCDay() + 6) % 7 + 7 * (n - 1));
      // week 53 only in the years that have one: its Thursday must be in year y. 9999-W52 ends in year
      // 10000, past the last day the API reads.
      return n && new Date(+a + 3 * DAY).getUTCFullYear() === y
        ? ["week", iso(a), iso(new Date(Math.min(+a + 6 * DAY, +utc(9999, 11, 31))))] : null;
    }
    if (m[3]) return n >= 1 && n <= 12 ? ["month", iso(utc(y, n - 1, 1)), iso(utc(y, n, 0))] : null;
    return ["year", iso(utc(y, 0, 1)), iso(utc(y, 11, 31))];
  }

  // -- one widget per script tag ------------------------------------------------------------------
  function Widget(script) {
    var ds = script.dataset;
    var target = ds.target ? document.querySelector(ds.target) : null;
    if (!target) {
      target = document.createElement("div");
      script.parentNode.insertBefore(target, script);
    }
    var lang = LABELS[ds.lang] ? ds.lang : "en";
    var api = ds.api || new URL(".", script.src).href;
    this.cfg = {
      api: api.replace(/\/?$/, "/"),
      lang: lang,
      t: LABELS[lang],
      perPage: Math.max(1, Math.min(100, parseInt(ds.perPage, 10) || 10)),
      facets: ds.facets != null ? list(ds.facets) : ["source", "person", "place", "date"],
      param: ds.param || "q",
      prefix: ds.paramPrefix || "",
      key: ds.key || "",
      linkTarget: ds.linkTarget || "",
      history: ds.history !== "off",
      interval: /^(day|week|month|year)$/.test(ds.dateInterval) ? ds.dateInterval : "auto",
      fixed: {}
    };
    var cfg = this.cfg;
    FILTERS.forEach(function (name) {
      if (ds[name]) cfg.fixed[name] = list(ds[name]);
    });
    cfg.facets = cfg.facets.filter(function (f) { return !cfg.fixed[f] && (FILTERS.indexOf(f) >= 0 || f === "date"); });
    this.seq = 0;
    this.sseq = 0;
    this.active = -1;
    this.build(target);
    this.state = this.readURL();
    var self = this;
    window.addEventListener("popstate", function () {
      self.state = self.readURL();
      self.input.value = self.state.q;
      self.run(false);
    });
    this.input.value = this.state.q;
    if (this.state.q || this.hasFilters()) this.run(false);
    else this.message(cfg.t.empty);
  }

  Widget.prototype.build = function (target) {
    var t = this.cfg.t, self = this;
    var root = target.shadowRoot || target.attachShadow({ mode: "open" });
    root.textContent = "";
    var css = CSS;
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(h("style", { text: css }));
    }
    var uid = "ns" + Math.random().toString(36).slice(2, 8);
    this.uid = uid;
    this.input = h("input", {
      id: uid + "-q", type: "search", name: "q", autocomplete: "off", spellcheck: "false", enterkeyhint: "search",
      placeholder: this.script.dataset.placeholder || t.placeholder,
      role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": uid + "-sugg",
      oninput: function () { self.suggestSoon(); },
      onkeydown: function (e) { self.key(e); },
      onblur: function () { setTimeout(function () { self.closeSuggest(); }, 120); }
    });
    this.sugg = h("ul", { id: uid + "-sugg", class: "sugg", role: "listbox", "aria-label": t.suggestions, hidden: true });
    this.form = h("form", { role: "search", onsubmit: function (e) { e.preventDefault(); self.submit(self.input.value); } },
      h("label", { for: uid + "-q", class: "vh", text: t.label }),
      h("div", { class: "box" }, this.input, this.sugg),
      h("button", { type: "submit", class: "go", text: t.search }));
    this.status = h("div", { class: "status", role: "status", "aria-live": "polite", "aria-atomic": "true", tabindex: "-1" });
    this.dym = h("div", { class: "dym" });
    // Sort and, on a narrow widget, the button that opens the facets: above the results.
    this.toggleBtn = h("button", {
      type: "button", class: "ftoggle", "aria-expanded": "false", "aria-controls": uid + "-facets",
      onclick: function () { self.openFacets(self.toggleBtn.getAttribute("aria-expanded") !== "true"); }
    });
    this.sortSel = h("select", { id: uid + "-sort", onchange: function () { var v = self.sortSel.value; self.change(function (st) { st.sort = v; st.page = 1; }); } },
      h("option", { value: "relevance", text: t.relevance }), h("option", { value: "newest", text: t.newest }));
    this.tools = h("div", { class: "tools", hidden: true }, this.toggleBtn,
      h("label", { for: uid + "-sort" }, t.sort, this.sortSel));
    this.chips = h("ul", { class: "chips", "aria-label": t.active, hidden: true });
    // The date range: a small form of its own in the facets column, applied with its button or Enter.
    this.fromIn = h("input", { id: uid + "-from", type: "date" });
    this.toIn = h("input", { id: uid + "-to", type: "date" });
    var rangeForm = h("form", { class: "range", "aria-labelledby": uid + "-range", onsubmit: function (e) { e.preventDefault(); self.applyRange(); } },
      h("div", null, h("label", { for: uid + "-from", text: t.from }), this.fromIn),
      h("div", null, h("label", { for: uid + "-to", text: t.to }), this.toIn),
      h("button", { type: "submit", text: t.apply }));
    this.facetList = h("div");
    this.facetsEl = h("aside", { id: uid + "-facets", class: "facets", "aria-label": t.filters },
      this.facetList, h("div", null, h("h3", { id: uid + "-range", text: t.range }), rangeForm));
    this.results = h("div", { class: "main" });
    this.wrap = h("div", { class: "ns", lang: this.cfg.lang }, this.form,
      h("div", { class: "bar" }, this.status, this.tools), this.dym, this.chips,
      h("div", { class: "body" }, this.facetsEl, this.results));
    root.appendChild(this.wrap);
  };

  // -- URL state: the host page's query string --------------------------------------------------------
  Widget.prototype.name = function (n) { return n === "q" ? this.cfg.param : this.cfg.prefix + n; };

  Widget.prototype.readURL = function () {
    var p = new URLSearchParams(location.search), self = this;
    var st = {
      q: p.get(this.name("q")) || "", page: Math.max(1, parseInt(p.get(this.name("page")), 10) || 1), f: {},
      date: p.get(this.name("date")) || "", from: p.get(this.name("from")) || "", to: p.get(this.name("to")) || "",
      sort: p.get(this.name("sort")) === "newest" ? "newest" : "relevance"
    };
    FILTERS.forEach(function (n) {
      var v = p.getAll(self.name(n)).filter(Boolean);
      if (v.length && !self.cfg.fixed[n]) st.f[n] = v;
    });
    if (!dateRange(st.date)) st.date = "";
    if (!isDay(st.from)) st.from = "";
    if (!isDay(st.to)) st.to = "";
    if (st.date) st.from = st.to = "";  // a bucket of the date facet, or a range: one date filter at a time
    if (st.from && st.to && st.from > st.to) { var x = st.from; st.from = st.to; st.to = x; }
    return st;
  };

  Widget.prototype.writeURL = function () {
    if (!this.cfg.history) return;
    var p = new URLSearchParams(location.search), st = this.state, self = this;
    ["q", "page", "date", "from", "to", "sort"].concat(FILTERS).forEach(function (n) { p.delete(self.name(n)); });
    if (st.q) p.set(this.name("q"), st.q);
    FILTERS.forEach(function (n) { (st.f[n] || []).forEach(function (v) { p.append(self.name(n), v); }); });
    if (st.date) p.set(this.name("date"), st.date);
    if (st.from) p.set(this.name("from"), st.from);
    if (st.to) p.set(this.name("to"), st.to);
    if (st.sort !== "relevance") p.set(this.name("sort"), st.sort);
    if (st.page > 1) p.set(this.name("page"), st.page);
    var qs = p.toString();
    var url = location.pathname + (qs ? "?" + qs : "") + location.hash;
    if (url !== location.pathname + location.search + location.hash) history.pushState(null, "", url);
  };

  Widget.prototype.hasFilters = function () {
    var st = this.state;
    return !!(st.date || st.from || st.to) || Object.keys(st.f).length > 0;
  };

  // -- requests ------------------------------------------------------------------------------------
  Widget.prototype.fetch = function (path, params) {
    var url = new URL(path, this.cfg.api);
    params.forEach(function (kv) { url.searchParams.append(kv[0], kv[1]); });
    var headers = { Accept: "application/json" };
    if (this.cfg.key) headers.Authorization = "Bearer " + this.cfg.key;
    return fetch(url.href, { headers: headers, credentials: "omit", mode: "cors" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  };

  Widget.prototype.submit = function (q) {
    this.closeSuggest();
    this.state.q = q.trim();
    this.state.page = 1;
    this.writeURL();
    this.run(false);
  };

  Widget.prototype.change = function (fn) {
    fn(this.state);
    this.writeURL();
    this.run(true);
  };

  Widget.prototype.run = function (keepFocus) {
    var st = this.state, cfg = this.cfg, self = this;
    this.sortSel.value = st.sort;
    this.renderChips();
    if (!st.q && !this.hasFilters()) {
      this.facetList.textContent = "";
      this.dym.textContent = "";
      if (keepFocus) this.input.focus();  // the chip that had focus is gone
      return this.message(cfg.t.empty);
    }
    var params = [["q", st.q], ["page", st.page], ["per_page", cfg.perPage], ["facets", cfg.facets.join(",")]];
    if (st.sort !== "relevance") params.push(["sort", st.sort]);
    FILTERS.forEach(function (n) {
      (cfg.fixed[n] || st.f[n] || []).forEach(function (v) { params.push([n, v]); });
    });
    var range = this.range();
    if (range[0]) params.push(["from", range[0]]);
    if (range[1]) params.push(["to", range[1]]);
    // A chosen bucket keeps the histogram at its interval, so it stays listed (pressed) to be lifted.
    var interval = st.date ? dateRange(st.date)[0] : cfg.interval;
    if (interval !== "auto") params.push(["date_interval", interval]);
    var seq = ++this.seq;
    this.wrap.setAttribute("aria-busy", "true");
    this.fetch("v1/search", params).then(function (data) {
      if (seq === self.seq) self.render(data, keepFocus);
    }, function () {
      if (seq !== self.seq) return;
      self.facetList.textContent = "";
      self.dym.textContent = "";
      self.message(cfg.t.error, true);
    });
  };

  // The dates searched: a bucket of the date facet or the visitor's own range, as [from, to] (either may be "").
  Widget.prototype.range = function () {
    var st = this.state, r = dateRange(st.date);
    return r ? r.slice(1) : [st.from, st.to];
  };

  Widget.prototype.message = function (text, isError) {
    var self = this;
    this.tools.hidden = this.facetsEl.hidden = true;
    this.wrap.removeAttribute("aria-busy");
    this.status.textContent = "";
    this.results.textContent = "";
    this.results.appendChild(h("p", { class: "msg" + (isError ? " err" : ""), role: isError ? "alert" : null }, text,
      isError ? [" ", h("button", { type: "button", text: this.cfg.t.retry, onclick: function () { self.run(false); } })] : null));
  };

  // -- rendering -----------------------------------------------------------------------------------
  Widget.prototype.render = function (data, keepFocus) {
    var t = this.cfg.t, st = this.state, self = this;
    this.wrap.removeAttribute("aria-busy");
    var plural = new Intl.PluralRules(this.cfg.lang).select(data.total) === "one" ? 0 : 1;
    this.status.textContent = fill(st.q ? t.results[plural] : t.latest[plural], { n: data.total.toLocaleString(this.cfg.lang), q: st.q });
    this.dym.textContent = "";
    if (data.suggestion && data.suggestion !== st.q) {
      this.dym.appendChild(h("p", null, t.dym + ": ",
        h("button", { type: "button", text: data.suggestion, onclick: function () { self.input.value = data.suggestion; self.submit(data.suggestion); } }), "?"));
    }
    this.tools.hidden = this.facetsEl.hidden = false;
    this.renderFacets(data.facets || {});
    this.results.textContent = "";
    if (!data.hits.length) {
      this.results.appendChild(h("p", { class: "msg", text: fill(t.none, { q: st.q }) }));
    } else {
      var start = (data.page - 1) * data.per_page + 1;
      this.results.appendChild(h("ol", { class: "hits", start: start }, data.hits.map(function (hit) { return self.renderHit(hit); })));
    }
    this.renderPaging(data);
    if (keepFocus) this.status.focus();
  };

  Widget.prototype.renderHit = function (hit) {
    var title = hit.title_highlight ? marked(hit.title_highlight) : [hit.title];
    var safe = /^https?:\/\//i.test(hit.url || "");
    var link = safe ? h("a", { href: hit.url, target: this.cfg.linkTarget || null, rel: this.cfg.linkTarget === "_blank" ? "noopener noreferrer" : null }, title) : h("span", null, title);
    var meta = [];
    if (hit.published) {
      var d = new Date(hit.published);
      if (!isNaN(d)) meta.push(h("time", { datetime: hit.published, text: d.toLocaleDateString(this.cfg.lang, { year: "numeric", month: "short", day: "numeric" }) }));
    }
    if (hit.source) meta.push(h("span", { class: "src", text: hit.source }));
    var withSep = [];
    meta.forEach(function (m, i) { if (i) withSep.push(" · "); withSep.push(m); });
    // Each fragment carries its own ellipses where it cuts a sentence: join them with a space and
    // keep one ellipsis where two meet.
    var snippet = ((hit.snippets && hit.snippets.length ? hit.snippets.join(" ") : "") || hit.snippet || "").replace(/…(\s*…)+/g, "…");
    return h("li", null,
      h("h3", { class: "t" }, link),
      h("div", { class: "meta" }, withSep),
      h("p", { class: "s" }, snippet ? marked(snippet) : hit.summary || ""),
      this.renderVersions(hit));
  };

  // A folded story (the API's collapse=story): "n versions", opening on the other versions' sources,
  // dates and titles, each linked to its page.
  Widget.prototype.renderVersions = function (hit) {
    var t = this.cfg.t, lang = this.cfg.lang, target = this.cfg.linkTarget || null;
    var others = hit.other_versions || [];
    if (!(hit.versions > 1) || !others.length) return null;
    var items = others.map(function (v) {
      var bits = [];
      if (v.source) bits.push(v.source);
      var d = v.published ? new Date(v.published) : null;
      if (d && !isNaN(d)) bits.push(d.toLocaleDateString(lang, { year: "numeric", month: "short", day: "numeric" }));
      var label = bits.join(" · ") + (v.title ? (bits.length ? ": " : "") + v.title : "");
      var safe = /^https?:\/\//i.test(v.url || "");
      return h("li", null, safe ? h("a", { href: v.url, target: target, rel: target === "_blank" ? "noopener noreferrer" : null, text: label }) : label);
    });
    var more = hit.versions - 1 - others.length;
    if (more > 0) items.push(h("li", { text: fill(t.more, { n: more.toLocaleString(lang) }) }));
    return h("details", { class: "v" },
      h("summary", { text: fill(t.versions, { n: hit.versions.toLocaleString(lang) }) }),
      h("ul", null, items));
  };

  Widget.prototype.renderFacets = function (facets) {
    var t = this.cfg.t, st = this.state, self = this, range = this.range();
    this.fromIn.value = range[0];
    this.toIn.value = range[1];
    this.facetList.textContent = "";
    this.cfg.facets.forEach(function (name) {
      var buckets = facets[name] || [];
      if (!buckets.length) return;
      var id = self.uid + "-f-" + name;
      self.facetList.appendChild(h("section", { "aria-labelledby": id },
        h("h3", { id: id, text: t.facet[name] || name }),
        h("ul", null, buckets.map(function (b) {
          var on = name === "date" ? st.date === b.value : (st.f[name] || []).indexOf(b.value) >= 0;
          return h("li", null, h("button", {
            type: "button", "aria-pressed": on ? "true" : "false", "data-facet": name, "data-value": b.value,
            onclick: function () { self.toggle(name, b.value); }
          }, h("span", { class: "v", text: name === "date" ? self.dateLabel(b.value) : b.value }), h("span", { class: "n", text: String(b.count) })));
        }))));
    });
  };

  // A date bucket in the widget's language, as Intl writes its dates: "May 4, 2023", "Week of May 1, 2023", "May 2023", "2023".
  Widget.prototype.dateLabel = function (value) {
    var r = dateRange(value);
    if (!r) return value;
    var kind = r[0], o = { year: "numeric", timeZone: "UTC" };
    if (kind !== "year") o.month = "long";
    if (kind === "day" || kind === "week") o.day = "numeric";
    var text = new Date(r[1] + "T12:00:00Z").toLocaleDateString(this.cfg.lang, o);
    return kind === "week" ? fill(this.cfg.t.week, { d: text }) : text;
  };

  Widget.prototype.toggle = function (name, value) {
    this.change(function (st) {
      st.page = 1;
      if (name === "date") { st.date = st.date === value ? "" : value; st.from = st.to = ""; return; }
      var cur = st.f[name] || [], i = cur.indexOf(value);
      if (i >= 0) cur.splice(i, 1); else cur.push(value);
      if (cur.length) st.f[name] = cur; else delete st.f[name];
    });
  };

  Widget.prototype.dayLabel = function (day) {
    return new Date(day + "T12:00:00Z").toLocaleDateString(this.cfg.lang, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  };

  // The visitor's filters as chips above the results, each with its remove button, and "Clear all".
  Widget.prototype.renderChips = function () {
    var t = this.cfg.t, st = this.state, self = this, chips = [];
    var add = function (label, drop) {
      var name = fill(t.remove, { f: label });
      chips.push(h("li", { class: "chip" }, h("span", { text: label }),
        h("button", { type: "button", "aria-label": name, title: name, text: "×", onclick: function () { self.change(function (s) { drop(s); s.page = 1; }); } })));
    };
    FILTERS.forEach(function (n) {
      (st.f[n] || []).forEach(function (v) {
        add(t.facet[n] + ": " + v, function (s) { s.f[n] = s.f[n].filter(function (x) { return x !== v; }); if (!s.f[n].length) delete s.f[n]; });
      });
    });
    var day = function (d) { return self.dayLabel(d); };
    var when = st.date ? this.dateLabel(st.date)
      : st.from && st.to ? day(st.from) + " – " + day(st.to) : st.from ? t.from + " " + day(st.from) : st.to ? t.to + " " + day(st.to) : "";
    if (when) add(t.facet.date + ": " + when, function (s) { s.date = s.from = s.to = ""; });
    this.chips.textContent = "";
    this.chips.hidden = !chips.length;
    this.toggleBtn.textContent = t.filters;
    if (!chips.length) return;
    this.toggleBtn.appendChild(h("span", { class: "cnt", text: String(chips.length) }));
    chips.push(h("li", null, h("button", { type: "button", class: "clear", text: t.clear, onclick: function () {
      self.change(function (s) { s.f = {}; s.date = s.from = s.to = ""; s.page = 1; });
    } })));
    chips.forEach(function (c) { self.chips.appendChild(c); });
  };

  Widget.prototype.openFacets = function (open) {
    this.toggleBtn.setAttribute("aria-expanded", open ? "true" : "false");
    this.facetsEl.classList.toggle("open", open);
  };

  Widget.prototype.applyRange = function () {
    var a = this.fromIn.value, b = this.toIn.value;
    if (a && b && a > b) { var x = a; a = b; b = x; }
    this.change(function (st) { st.from = isDay(a) ? a : ""; st.to = isDay(b) ? b : ""; st.date = ""; st.page = 1; });
  };

  Widget.prototype.renderPaging = function (data) {
    var t = this.cfg.t, self = this;
    var pages = Math.ceil(data.total / data.per_page);
    if (pages < 2) return;
    var cur = data.page;
    var go = function (p) { return function () { self.change(function (st) { st.page = p; }); }; };
    var nums = [];
    for (var p = Math.max(1, cur - 2); p <= Math.min(pages, cur + 2); p++) {
      nums.push(h("button", { type: "button", "aria-current": p === cur ? "page" : null, "aria-label": fill(t.page, { p: p, n: pages }), text: String(p), onclick: go(p) }));
    }
    this.results.appendChild(h("nav", { class: "pg", "aria-label": t.pages },
      h("button", { type: "button", class: "prev", disabled: cur <= 1, text: t.prev, onclick: go(cur - 1) }),
      nums,
      h("button", { type: "button", class: "next", disabled: cur >= pages, text: t.next, onclick: go(cur + 1) })));
  };

  // -- completion: a listbox driven from the combobox input ---------------------------------------------
  Widget.prototype.suggestSoon = function () {
    var self = this, q = this.input.value.trim();
    clearTimeout(this.timer);
    if (q.length < 2) return this.closeSuggest();
    this.timer = setTimeout(function () {
      var seq = ++self.sseq;
      self.fetch("v1/suggest", [["q", q], ["limit", 6]]).then(function (data) {
        if (seq === self.sseq && self.input.value.trim() === q) {
          self.showSuggest(data.completions || (data.suggestions || []).map(function (w) { return { text: w }; }));
        }
      }, function () { self.closeSuggest(); });
    }, 180);
  };

  // The filter a completion is a value of (a person, an organisation, ...), if the visitor may set it.
  Widget.prototype.filterOf = function (c) {
    return c.facet && FILTERS.indexOf(c.facet) >= 0 && !this.cfg.fixed[c.facet] ? c.facet : null;
  };

  Widget.prototype.showSuggest = function (items) {
    var self = this, t = this.cfg.t;
    this.sugg.textContent = "";
    this.items = items;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    if (!items.length) return this.closeSuggest();
    items.forEach(function (c, i) {
      var kind = self.filterOf(c);
      self.sugg.appendChild(h("li", {
        id: self.uid + "-o" + i, role: "option", "aria-selected": "false", "data-facet": kind,
        onmousedown: function (e) { e.preventDefault(); },
        onclick: function () { self.choose(c); }
      }, h("span", { text: c.text }), kind ? h("span", { class: "k", text: t.facet[kind] || kind }) : null));
    });
    this.sugg.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  // A name becomes its filter (the query box empties: the name was what was typed); a word is a query.
  Widget.prototype.choose = function (c) {
    var f = this.filterOf(c);
    this.input.value = f ? "" : c.text;
    if (!f) return this.submit(c.text);
    this.closeSuggest();
    var st = this.state, cur = st.f[f] || (st.f[f] = []);
    if (cur.indexOf(c.text) < 0) cur.push(c.text);
    st.q = "";
    st.page = 1;
    this.writeURL();
    this.run(false);
  };

  Widget.prototype.closeSuggest = function () {
    clearTimeout(this.timer);
    this.sseq++;
    this.sugg.hidden = true;
    this.sugg.textContent = "";
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Widget.prototype.key = function (e) {
    var items = this.sugg.hidden ? [] : this.sugg.children;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!items.length) return;
      e.preventDefault();
      var n = items.length;
      this.active = e.key === "ArrowDown" ? (this.active + 1) % n : (this.active - 1 + n) % n;
      for (var i = 0; i < n; i++) items[i].setAttribute("aria-selected", i === this.active ? "true" : "false");
      this.input.setAttribute("aria-activedescendant", items[this.active].id);
    } else if (e.key === "Enter" && this.active >= 0 && items[this.active]) {
      e.preventDefault();
      this.choose(this.items[this.active]);
    } else if (e.key === "Escape") {
      if (!this.sugg.hidden) { e.preventDefault(); this.closeSuggest(); }
    }
  };

  // -- start ---------------------------------------------------------------------------------------
  function start(script) {
    if (!script || script.hasAttribute("data-ns-ready")) return;
    script.setAttribute("data-ns-ready", "");
    var w = Object.create(Widget.prototype);
    w.script = script;
    Widget.call(w, script);
  }

  var me = document.currentScript;
  var scripts = me ? [me] : Array.prototype.slice.call(document.querySelectorAll('script[src*="widget.js"]'));
  var go = function () { scripts.forEach(start); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go);
  else go();
})();
