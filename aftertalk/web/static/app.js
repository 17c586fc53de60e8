// Live updates and in-place answering for the participant page. The page works without this file:
// forms post normally and a refresh link is shown. Old phones: plain ES5-style code, no build step.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var exit = document.getElementById("quick-exit");

  // Quick exit replaces this page in the history, so "back" does not return to the workshop.
  if (exit) {
    exit.addEventListener("click", function (event) {
      event.preventDefault();
      window.location.replace("/away");
    });
  }
  var code = main && main.getAttribute("data-room");
  if (!code) { return; }
  var base = "/r/" + encodeURIComponent(code);

  function shownQuestion() {
    var form = main.querySelector("form.question");
    return form ? form.getAttribute("data-question") : null;
  }

  // Fetch what this phone should see now. A question the person is answering is never replaced by
  // itself, so a half-made choice is not wiped by a live update. `live` marks an update the person
  // did not ask for: if their question vanished, they are told the poll closed.
  function refresh(thanks, live) {
    var before = shownQuestion();
    fetch(base + "/current" + (thanks ? "?thanks=1" : ""), { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var incoming = holder.querySelector("form.question");
        if (!thanks && before && incoming && incoming.getAttribute("data-question") === before) { return; }
        main.innerHTML = html;
        if (live && before) {
          var notice = document.createElement("p");
          notice.className = "notice";
          notice.setAttribute("role", "status");
          notice.textContent = "That poll has closed, so no answer was sent.";
          main.insertBefore(notice, main.firstChild);
        }
        if (thanks || (incoming && incoming.getAttribute("data-question") !== before)) { main.focus(); }
      })
      .catch(function () { /* offline for a moment: the stream's reconnect will try again */ });
  }

  main.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type !== "checkbox" || !box.checked) { return; }
    // "None of these" and "prefer not to say" stand alone; any other tick clears them.
    var boxes = main.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      var other = boxes[i];
      if (other === box) { continue; }
      if (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) { other.checked = false; }
    }
  });

  main.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("question")) { return; }
    event.preventDefault();
    var skip = event.submitter ? event.submitter.value === "skip" : false;
    var options = [];
    var inputs = form.querySelectorAll("input[name=option]:checked");
    for (var i = 0; i < inputs.length; i++) { options.push(inputs[i].value); }
    var error = form.querySelector(".error");
    if (!skip && options.length === 0) {
      error.textContent = "Choose an answer, or press \u201cSkip this question\u201d.";
      return;
    }
    var buttons = form.querySelectorAll("button");
    for (var b = 0; b < buttons.length; b++) { buttons[b].disabled = true; }
    fetch(base + "/answer", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: form.getAttribute("data-question"), options: options, skip: skip })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) { refresh(!skip); return; }
      error.textContent = result.body.error || "The answer could not be sent. Please try again.";
      for (var b = 0; b < buttons.length; b++) { buttons[b].disabled = false; }
    }).catch(function () {
      error.textContent = "No connection to the poll. Check the Wi-Fi and press Send again.";
      for (var b = 0; b < buttons.length; b++) { buttons[b].disabled = false; }
    });
  });

  function listen() {
    var stream = new EventSource(base + "/events");
    stream.addEventListener("change", function () { refresh(false, true); });
    stream.addEventListener("ended", function () { stream.close(); refresh(false, false); });
    stream.onerror = function () {
      // The browser gives up on a stream that failed outright; look now and listen again soon.
      if (stream.readyState === 2) { refresh(false, true); setTimeout(listen, 5000); }
    };
  }
  if (window.EventSource) { listen(); }
  // A phone that slept may have missed events: look again when it wakes.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(false); }
  });
})();
