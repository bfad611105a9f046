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
      filters: "Filters", loading: "Searching…"
    },
    es: {
      label: "Buscar noticias", placeholder: "Buscar noticias…", search: "Buscar", suggestions: "Sugerencias",
      results: ["{n} resultado para «{q}»", "{n} resultados para «{q}»"], latest: ["{n} artículo", "{n} artículos"],
      none: "No hay resultados para «{q}».", empty: "Escriba una búsqueda y pulse Intro.", error: "La búsqueda no está disponible ahora.",
      retry: "Reintentar", dym: "Quizás quiso decir", prev: "Anterior", next: "Siguiente", page: "Página {p} de {n}", pages: "Páginas",
      filters: "Filtros", loading: "Buscando…"
    },
    fr: {
      label: "Rechercher des articles", placeholder: "Rechercher…", search: "Rechercher", suggestions: "Suggestions",
      results: ["{n} résultat pour « {q} »", "{n} résultats pour « {q} »"], latest: ["{n} article", "{n} articles"],
      none: "Aucun résultat pour « {q} ».", empty: "Saisissez une recherche puis Entrée.", error: "La recherche est indisponible pour le moment.",
      retry: "Réessayer", dym: "Essayez avec", prev: "Précédent", next: "Suivant", page: "Page {p} sur {n}", pages: "Pages",
      filters: "Filtres", loading: "Recherche…"
    },
    de: {
      label: "Nachrichten durchsuchen", placeholder: "Nachrichten durchsuchen…", search: "Suchen", suggestions: "Vorschläge",
      results: ["{n} Treffer für „{q}“", "{n} Treffer für „{q}“"], latest: ["{n} Artikel", "{n} Artikel"],
      none: "Keine Treffer für „{q}“.", empty: "Suchbegriff eingeben und Enter drücken.", error: "Die Suche ist gerade nicht verfügbar.",
      retry: "Erneut versuchen", dym: "Meinten Sie", prev: "Zurück", next: "Weiter", page: "Seite {p} von {n}", pages: "Seiten",
      filters: "Filter", loading: "Suche läuft…"
    }
  };

  Object.keys(LABELS).forEach(function (lang) { LABELS[lang].facet = FIELDS.labels[lang] || FIELDS.labels.en; });

  var CSS = [
    ":host{all:initial;display:block;contain:content}",
    ".ns{box-sizing:border-box;font-family:var(--ns-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);font-size:var(--ns-font-size,16px);",
    "font-weight:400;font-style:normal;line-height:1.5;letter-spacing:normal;text-align:start;text-transform:none;color:var(--ns-text,#1f2328);",
    "background:var(--ns-bg,#fff);padding:var(--ns-padding,12px);border-radius:var(--ns-radius,8px)}",
    ".ns *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:inherit}",
    "form{display:flex;gap:8px;position:relative}",
    ".box{flex:1;position:relative}",
    "label.vh,.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "input{width:100%;padding:.55em .8em;border:1px solid var(--ns-border,#c4c9d0);border-radius:var(--ns-radius,8px);background:var(--ns-bg,#fff)}",
    "input:focus,button:focus-visible,a:focus-visible{outline:2px solid var(--ns-accent,#0b57d0);outline-offset:1px}",
    "button{cursor:pointer;border:1px solid var(--ns-border,#c4c9d0);background:var(--ns-bg,#fff);border-radius:var(--ns-radius,8px);padding:.35em .8em}",
    "button.go{background:var(--ns-accent,#0b57d0);border-color:var(--ns-accent,#0b57d0);color:var(--ns-accent-text,#fff)}",
    "button:disabled{opacity:.45;cursor:default}",
    "ul.sugg{position:absolute;z-index:2;left:0;right:0;top:100%;margin:2px 0 0;padding:4px 0;list-style:none;background:var(--ns-bg,#fff);",
    "border:1px solid var(--ns-border,#c4c9d0);border-radius:var(--ns-radius,8px);box-shadow:0 4px 12px rgba(0,0,0,.12)}",
    "ul.sugg li{padding:.3em .8em;cursor:pointer}",
    "ul.sugg li[aria-selected=true],ul.sugg li:hover{background:var(--ns-hover,rgba(11,87,208,.1))}",
    ".status{margin:10px 0 4px;color:var(--ns-muted,#59636e);font-size:.9em}",
    ".dym button{border:0;padding:0;background:none;color:var(--ns-accent,#0b57d0);text-decoration:underline;font-style:italic}",
    ".body{display:flex;gap:20px;align-items:flex-start}",
    ".facets{flex:0 0 13em;font-size:.875em}",
    ".facets h3{font-size:1em;font-weight:600;margin:12px 0 4px}",
    ".facets ul{list-style:none;margin:0;padding:0}",
    ".facets li{margin:2px 0}",
    ".facets button{width:100%;display:flex;justify-content:space-between;gap:6px;text-align:start;border-color:transparent;padding:.15em .5em}",
    ".facets button[aria-pressed=true]{border-color:var(--ns-accent,#0b57d0);background:var(--ns-hover,rgba(11,87,208,.1));font-weight:600}",
    ".facets .n{color:var(--ns-muted,#59636e)}",
    ".main{flex:1;min-width:0}",
    "ol.hits{list-style:none;margin:0;padding:0}",
    "ol.hits li{padding:10px 0;border-bottom:1px solid var(--ns-border,#e3e6ea)}",
    "h3.t{margin:0;font-size:1.1em;font-weight:600}",
    "h3.t a{color:var(--ns-accent,#0b57d0);text-decoration:none}",
    "h3.t a:hover{text-decoration:underline}",
    ".meta{color:var(--ns-muted,#59636e);font-size:.85em}",
    "p.s{margin:4px 0 0}",
    "mark{display:inline;background:var(--ns-mark,#fff1a8);color:inherit;padding:0 1px;border-radius:2px}",
    "nav.pg{display:flex;gap:6px;align-items:center;margin-top:12px;flex-wrap:wrap}",
    "nav.pg button[aria-current=page]{background:var(--ns-accent,#0b57d0);color:var(--ns-accent-text,#fff);border-color:var(--ns-accent,#0b57d0)}",
    ".msg{padding:16px 0;color:var(--ns-muted,#59636e)}",
    ".err{color:var(--ns-error,#b3261e)}",
    "@media (max-width:640px){.body{flex-direction:column}.facets{flex:none;width:100%}}"
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

  function dateRange(bucket) {
    // Bucket values are YYYY-MM (months) or YYYY (years).
    var m = /^(\d{4})(?:-(\d{2}))?$/.exec(bucket);
    if (!m) return null;
    var y = +m[1];
    if (!m[2]) return [y + "-01-01", y + "-12-31"];
    var last = new Date(Date.UTC(y, +m[2], 0)).getUTCDate();
    return [m[1] + "-" + m[2] + "-01", m[1] + "-" + m[2] + "-" + String(last).padStart(2, "0")];
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
    this.facetsEl = h("aside", { class: "facets", "aria-label": t.filters });
    this.results = h("div", { class: "main" });
    this.wrap = h("div", { class: "ns", lang: this.cfg.lang }, this.form, this.status, this.dym,
      h("div", { class: "body" }, this.facetsEl, this.results));
    root.appendChild(this.wrap);
  };

  // -- URL state: the host page's query string --------------------------------------------------------
  Widget.prototype.name = function (n) { return n === "q" ? this.cfg.param : this.cfg.prefix + n; };

  Widget.prototype.readURL = function () {
    var p = new URLSearchParams(location.search), self = this;
    var st = { q: p.get(this.name("q")) || "", page: Math.max(1, parseInt(p.get(this.name("page")), 10) || 1), f: {}, date: p.get(this.name("date")) || "" };
    FILTERS.forEach(function (n) {
      var v = p.getAll(self.name(n)).filter(Boolean);
      if (v.length && !self.cfg.fixed[n]) st.f[n] = v;
    });
    if (!dateRange(st.date)) st.date = "";
    return st;
  };

  Widget.prototype.writeURL = function () {
    if (!this.cfg.history) return;
    var p = new URLSearchParams(location.search), st = this.state, self = this;
    ["q", "page", "date"].concat(FILTERS).forEach(function (n) { p.delete(self.name(n)); });
    if (st.q) p.set(this.name("q"), st.q);
    FILTERS.forEach(function (n) { (st.f[n] || []).forEach(function (v) { p.append(self.name(n), v); }); });
    if (st.date) p.set(this.name("date"), st.date);
    if (st.page > 1) p.set(this.name("page"), st.page);
    var qs = p.toString();
    var url = location.pathname + (qs ? "?" + qs : "") + location.hash;
    if (url !== location.pathname + location.search + location.hash) history.pushState(null, "", url);
  };

  Widget.prototype.hasFilters = function () {
    return !!this.state.date || Object.keys(this.state.f).length > 0;
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
    if (!st.q && !this.hasFilters()) {
      this.facetsEl.textContent = "";
      this.dym.textContent = "";
      return this.message(cfg.t.empty);
    }
    var params = [["q", st.q], ["page", st.page], ["per_page", cfg.perPage], ["facets", cfg.facets.join(",")]];
    FILTERS.forEach(function (n) {
      (cfg.fixed[n] || st.f[n] || []).forEach(function (v) { params.push([n, v]); });
    });
    var range = dateRange(st.date);
    if (range) params.push(["from", range[0]], ["to", range[1]]);
    var seq = ++this.seq;
    this.wrap.setAttribute("aria-busy", "true");
    this.fetch("v1/search", params).then(function (data) {
      if (seq === self.seq) self.render(data, keepFocus);
    }, function () {
      if (seq !== self.seq) return;
      self.facetsEl.textContent = "";
      self.dym.textContent = "";
      self.message(cfg.t.error, true);
    });
  };

  Widget.prototype.message = function (text, isError) {
    var self = this;
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
    var snippet = (hit.snippets && hit.snippets.length ? hit.snippets.join(" … ") : "") || hit.snippet;
    return h("li", null,
      h("h3", { class: "t" }, link),
      h("div", { class: "meta" }, withSep),
      h("p", { class: "s" }, snippet ? marked(snippet) : hit.summary || ""));
  };

  Widget.prototype.renderFacets = function (facets) {
    var t = this.cfg.t, st = this.state, self = this;
    this.facetsEl.textContent = "";
    this.cfg.facets.forEach(function (name) {
      var buckets = facets[name] || [];
      if (!buckets.length) return;
      var id = self.uid + "-f-" + name;
      self.facetsEl.appendChild(h("section", { "aria-labelledby": id },
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

  Widget.prototype.dateLabel = function (value) {
    var m = /^(\d{4})-(\d{2})$/.exec(value);
    if (!m) return value;
    return new Date(Date.UTC(+m[1], +m[2] - 1, 15)).toLocaleDateString(this.cfg.lang, { year: "numeric", month: "long", timeZone: "UTC" });
  };

  Widget.prototype.toggle = function (name, value) {
    this.change(function (st) {
      st.page = 1;
      if (name === "date") { st.date = st.date === value ? "" : value; return; }
      var cur = st.f[name] || [], i = cur.indexOf(value);
      if (i >= 0) cur.splice(i, 1); else cur.push(value);
      if (cur.length) st.f[name] = cur; else delete st.f[name];
    });
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
        if (seq === self.sseq && self.input.value.trim() === q) self.showSuggest(data.suggestions || []);
      }, function () { self.closeSuggest(); });
    }, 180);
  };

  Widget.prototype.showSuggest = function (words) {
    var self = this;
    this.sugg.textContent = "";
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    if (!words.length) return this.closeSuggest();
    words.forEach(function (w, i) {
      self.sugg.appendChild(h("li", {
        id: self.uid + "-o" + i, role: "option", "aria-selected": "false", text: w,
        onmousedown: function (e) { e.preventDefault(); },
        onclick: function () { self.input.value = w; self.submit(w); }
      }));
    });
    this.sugg.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
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
      var w = items[this.active].textContent;
      this.input.value = w;
      this.submit(w);
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
