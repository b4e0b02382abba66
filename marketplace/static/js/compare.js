// The offers ticked for comparison, kept in sessionStorage so a tick survives paging, a new
// search and the compare page's "add offers" link. Without script, ticks still work page by page.
(function () {
  "use strict";
  var KEY = "cc-compare";
  var form = document.getElementById("compare-form");

  function load() {
    try {
      var ids = JSON.parse(window.sessionStorage.getItem(KEY) || "[]");
      return Array.isArray(ids) ? ids.filter(function (id) { return /^\d+$/.test(id); }) : [];
    } catch (error) {
      return [];
    }
  }

  function save(ids) {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify(ids));
    } catch (error) {
      // storage full or refused: the ticks on this page still count
    }
  }

  var picks = document.querySelectorAll("input[data-compare-pick]");
  var chosen = load();

  if (!form) {
    // The compare page's own list: what is ticked there is the selection.
    chosen = [];
    picks.forEach(function (box) { if (box.checked) { chosen.push(box.value); } });
    save(chosen);
    picks.forEach(function (box) {
      box.addEventListener("change", function () {
        var ids = load().filter(function (id) { return id !== box.value; });
        if (box.checked) { ids.push(box.value); }
        save(ids);
      });
    });
    return;
  }

  var count = document.getElementById("compare-count");
  var clear = document.getElementById("compare-clear");

  function show() {
    if (count) {
      count.textContent = chosen.length
        ? (chosen.length === 1 ? count.dataset.one : count.dataset.many.replace("{n}", chosen.length))
        : count.dataset.none;
    }
    if (clear) { clear.hidden = chosen.length === 0; }
  }

  picks.forEach(function (box) {
    box.checked = chosen.indexOf(box.value) !== -1;
    box.addEventListener("change", function () {
      chosen = chosen.filter(function (id) { return id !== box.value; });
      if (box.checked) { chosen.push(box.value); }
      save(chosen);
      show();
    });
  });

  if (clear) {
    clear.addEventListener("click", function () {
      chosen = [];
      save(chosen);
      picks.forEach(function (box) { box.checked = false; });
      show();
    });
  }

  form.addEventListener("submit", function () {
    // Offers ticked on other pages travel as hidden fields; those on this page as their boxes.
    form.querySelectorAll("input[data-compare-carried]").forEach(function (input) { input.remove(); });
    var here = {};
    picks.forEach(function (box) { here[box.value] = true; });
    chosen.forEach(function (id) {
      if (!here[id]) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "id";
        input.value = id;
        input.setAttribute("data-compare-carried", "");
        form.appendChild(input);
      }
    });
  });

  show();
}());
