// Fact suggestions under a rule's fields: type part of a fact's name and pick it from a list
// that shows each fact's type, unit, meaning and source (with the model's holdout metric).
// Fields marked data-suggest-facts="plain" suggest anywhere (a condition); "braces" only
// inside { } (a card template). The facts come from the page's hidden #fact-vocabulary list.
(function () {
  "use strict";
  var MAX = 8;
  var facts = [];
  var open = null; // {field, list, items, active, start, end}

  function readVocabulary() {
    var list = document.getElementById("fact-vocabulary");
    if (!list) return;
    facts = Array.prototype.map.call(list.children, function (li) {
      return {
        name: li.dataset.name, type: li.dataset.type, unit: li.dataset.unit,
        source: li.dataset.source, holdout: li.dataset.holdout, description: li.textContent.trim()
      };
    });
  }

  // The fact name being typed just before the caret: [start, end) and its text.
  function tokenAt(field) {
    var end = field.selectionStart, text = field.value.slice(0, end);
    var match = /[A-Za-z_][A-Za-z0-9_.]*$/.exec(text);
    if (!match) return null;
    if (field.dataset.suggestFacts === "braces") {
      var before = text.slice(0, match.index);
      if (before.lastIndexOf("{") <= before.lastIndexOf("}")) return null;
    }
    return { start: match.index, end: end, text: match[0].toLowerCase() };
  }

  function matches(token) {
    var starts = [], contains = [];
    facts.forEach(function (fact) {
      var at = fact.name.indexOf(token);
      if (at === 0) starts.push(fact);
      else if (at > 0) contains.push(fact);
    });
    return starts.concat(contains).slice(0, MAX);
  }

  function close() {
    if (!open) return;
    open.list.remove();
    open.field.setAttribute("aria-expanded", "false");
    open.field.removeAttribute("aria-activedescendant");
    open = null;
  }

  function choose(fact) {
    var field = open.field, start = open.start, end = open.end;
    field.value = field.value.slice(0, start) + fact.name + field.value.slice(end);
    var caret = start + fact.name.length;
    close();
    field.focus();
    field.setSelectionRange(caret, caret);
    field.dispatchEvent(new Event("input", { bubbles: true })); // the live check runs again
  }

  function highlight(index) {
    open.active = (index + open.items.length) % open.items.length;
    Array.prototype.forEach.call(open.list.children, function (li, i) {
      li.setAttribute("aria-selected", i === open.active ? "true" : "false");
    });
    open.field.setAttribute("aria-activedescendant", open.list.children[open.active].id);
  }

  function show(field, token) {
    var found = matches(token.text);
    close();
    if (!found.length || (found.length === 1 && found[0].name === token.text)) return;
    var list = document.createElement("ul");
    list.className = "fact-suggestions";
    list.id = field.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Facts");
    found.forEach(function (fact, i) {
      var li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      var name = document.createElement("code");
      name.textContent = fact.name;
      var kind = document.createElement("span");
      kind.className = "muted";
      kind.textContent = " " + fact.type + (fact.unit ? ", " + fact.unit : "");
      var about = document.createElement("span");
      about.className = "about";
      about.textContent = fact.description + " (" + fact.source +
        (fact.holdout ? "; " + fact.holdout : "") + ")";
      li.append(name, kind, about);
      // pointerdown, not click: the field must not lose its caret first
      li.addEventListener("pointerdown", function (event) { event.preventDefault(); choose(fact); });
      list.appendChild(li);
    });
    field.insertAdjacentElement("afterend", list);
    field.setAttribute("aria-controls", list.id);
    field.setAttribute("aria-expanded", "true");
    open = { field: field, list: list, items: found, active: -1, start: token.start, end: token.end };
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.dataset || !field.dataset.suggestFacts) return;
    if (!facts.length) readVocabulary();
    var token = tokenAt(field);
    if (token && token.text.length >= 2) show(field, token);
    else close();
  });

  document.addEventListener("keydown", function (event) {
    if (!open || event.target !== open.field) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(open.active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(open.active - 1); }
    else if ((event.key === "Enter" || event.key === "Tab") && open.active >= 0) {
      event.preventDefault();
      choose(open.items[open.active]);
    } else if (event.key === "Escape") close();
  });

  document.addEventListener("focusout", function (event) {
    if (open && event.target === open.field) close();
  });

  document.querySelectorAll("[data-suggest-facts]").forEach(function (field) {
    field.setAttribute("role", "combobox");
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-expanded", "false");
  });
})();
