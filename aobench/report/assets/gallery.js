// Gallery + review mode. Data is embedded in the page (no fetch), so it works from file://.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("aob-data").textContent);
  var F = D.fields;
  var items = D.rows.map(function (r) { var o = {}; F.forEach(function (f, i) { o[f] = r[i]; }); return o; });
  var PAGE = D.page_size;
  var grid = document.getElementById("grid");
  var $ = function (id) { return document.getElementById(id); };
  var filtered = items, page = 0, current = -1;
  var decisions = {};
  var storeKey = "aobench-review:" + D.review_key;

  try { decisions = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { decisions = {}; }
  function save() { try { localStorage.setItem(storeKey, JSON.stringify(decisions)); } catch (e) { /* storage may be off for file:// */ } }

  function fillSelect(id, field) {
    var sel = $(id), seen = {};
    items.forEach(function (it) { seen[it[field]] = 1; });
    Object.keys(seen).sort().forEach(function (v) {
      var o = document.createElement("option"); o.value = v; o.textContent = v; sel.appendChild(o);
    });
  }
  fillSelect("f-attribute", "attribute");
  fillSelect("f-object", "object");
  fillSelect("f-split", "split");

  function matches(it) {
    var a = $("f-attribute").value, o = $("f-object").value, s = $("f-split").value;
    var st = $("f-status").value, rv = $("f-review").value, q = $("f-text").value.trim().toLowerCase();
    if (a && it.attribute !== a) return false;
    if (o && it.object !== o) return false;
    if (s && it.split !== s) return false;
    if (st === "kept" && it.filters !== "kept") return false;
    if (st === "dropped" && it.filters === "kept") return false;
    if (st === "missing" && !it.missing) return false;
    var d = decisions[it.id];
    if (rv === "undecided" && d) return false;
    if ((rv === "accept" || rv === "reject") && d !== rv) return false;
    if (q && (it.prompt + " " + it.id).toLowerCase().indexOf(q) < 0) return false;
    return true;
  }

  function missingBox(thumb, card) {
    thumb.innerHTML = "";
    var m = document.createElement("div"); m.className = "missing"; m.textContent = "image missing";
    thumb.appendChild(m); card.classList.add("is-missing");
  }

  function decorate(card, it) {
    var d = decisions[it.id];
    card.classList.toggle("accept", d === "accept");
    card.classList.toggle("reject", d === "reject");
    card.querySelector(".decision").textContent = d ? (d === "accept" ? "✓ accepted" : "✗ rejected") : "";
  }

  function makeCard(it, i) {
    var card = document.createElement("figure");
    card.className = "card " + (it.filters === "kept" ? "kept" : "dropped");
    card.dataset.id = it.id; card.dataset.i = i; card.tabIndex = 0;
    var thumb = document.createElement("div"); thumb.className = "thumb";
    if (it.thumb && !it.missing) {
      var img = document.createElement("img");
      img.loading = "lazy"; img.alt = it.attribute + " " + it.object; img.src = it.thumb;
      img.onerror = function () { missingBox(thumb, card); };
      thumb.appendChild(img);
    } else { missingBox(thumb, card); }
    card.appendChild(thumb);
    var cap = document.createElement("figcaption");
    var head = document.createElement("div");
    var b = document.createElement("b"); b.textContent = it.attribute; head.appendChild(b);
    head.appendChild(document.createTextNode(" " + it.object + " "));
    var badge = document.createElement("span"); badge.className = "badge"; badge.textContent = it.filters;
    head.appendChild(badge); cap.appendChild(head);
    var p = document.createElement("div"); p.className = "prompt"; p.textContent = it.prompt; cap.appendChild(p);
    var m = document.createElement("div"); m.className = "meta";
    m.textContent = it.split + " · " + it.attribute_type + " · " + it.pair_status + " · seed " + it.seed;
    cap.appendChild(m);
    var dec = document.createElement("div"); dec.className = "decision"; cap.appendChild(dec);
    card.appendChild(cap);
    decorate(card, it);
    card.addEventListener("click", function () { setCurrent(i - page * PAGE); });
    return card;
  }

  function pages() { return Math.max(1, Math.ceil(filtered.length / PAGE)); }

  function render() {
    grid.innerHTML = "";
    var start = page * PAGE, end = Math.min(filtered.length, start + PAGE);
    var frag = document.createDocumentFragment();
    for (var i = start; i < end; i++) frag.appendChild(makeCard(filtered[i], i));
    grid.appendChild(frag);
    $("count").textContent = filtered.length + " of " + items.length + " images match" +
      (filtered.length > PAGE ? "; showing " + (start + 1) + "–" + end : "");
    $("page-info").textContent = "page " + (page + 1) + " / " + pages();
    $("prev").disabled = page === 0; $("next").disabled = page >= pages() - 1;
    current = -1;
    if (document.body.classList.contains("review") && end > start) setCurrent(0);
  }

  function apply() { filtered = items.filter(matches); page = 0; render(); }

  function cards() { return grid.querySelectorAll(".card"); }

  function setCurrent(k) {
    var cs = cards();
    if (current >= 0 && cs[current]) cs[current].classList.remove("current");
    current = Math.max(-1, Math.min(k, cs.length - 1));
    if (current >= 0) { cs[current].classList.add("current"); cs[current].scrollIntoView({ block: "nearest" }); }
  }

  function move(step) {
    var n = cards().length;
    if (current + step >= n && page < pages() - 1) { page++; render(); return; }
    if (current + step < 0 && page > 0) { page--; render(); setCurrent(cards().length - 1); return; }
    setCurrent(Math.max(0, Math.min(n - 1, current + step)));
  }

  function updateCounts() {
    var a = 0, r = 0;
    Object.keys(decisions).forEach(function (k) { if (decisions[k] === "accept") a++; else if (decisions[k] === "reject") r++; });
    $("review-count").textContent = (a + r) + " reviewed (" + a + " accepted, " + r + " rejected)";
  }

  function decide(value) {
    var cs = cards();
    if (current < 0 || !cs[current]) return;
    var it = filtered[page * PAGE + current];
    if (value) decisions[it.id] = value; else delete decisions[it.id];
    save(); decorate(cs[current], it); updateCounts();
    if (value) move(1);
  }

  function download() {
    var lines = items.filter(function (it) { return decisions[it.id]; })
      .map(function (it) { return JSON.stringify({ id: it.id, decision: decisions[it.id] }); });
    var blob = new Blob([lines.join("\n") + (lines.length ? "\n" : "")], { type: "application/x-ndjson" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = "review.jsonl";
    document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  ["f-attribute", "f-object", "f-split", "f-status", "f-review"].forEach(function (id) { $(id).addEventListener("change", apply); });
  $("f-text").addEventListener("input", apply);
  $("prev").addEventListener("click", function () { if (page > 0) { page--; render(); } });
  $("next").addEventListener("click", function () { if (page < pages() - 1) { page++; render(); } });
  $("review-mode").addEventListener("change", function (e) {
    document.body.classList.toggle("review", e.target.checked);
    if (e.target.checked && current < 0) setCurrent(0);
  });
  $("review-download").addEventListener("click", download);
  $("review-clear").addEventListener("click", function () {
    if (!confirm("Forget all review decisions in this browser?")) return;
    decisions = {}; save(); updateCounts(); render();
  });
  document.addEventListener("keydown", function (e) {
    if (!document.body.classList.contains("review") || e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" && e.target.type === "text" || tag === "select" || tag === "textarea") return;
    var k = e.key;
    if (k === "a") decide("accept");
    else if (k === "r" || k === "x") decide("reject");
    else if (k === "u") decide(null);
    else if (k === "ArrowRight" || k === "j") move(1);
    else if (k === "ArrowLeft" || k === "k") move(-1);
    else return;
    e.preventDefault();
  });

  updateCounts();
  apply();
})();
