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
  // Every body sent is padded to this many bytes (UTF-8, as it travels), so its size tells nothing.
  var PAD_BYTES = parseInt(main.getAttribute("data-pad-bytes"), 10) || 2048;

  // What this script's way of answering needs. Without `fetch` it steps aside and the plain form posts
  // as it does with JavaScript off; without a random source a randomized question stays as it is with
  // JavaScript off (only Skip), because its answer may leave the phone only scrambled (so does one
  // whose randomize.js did not load).
  var canSend = typeof window.fetch === "function";
  var randomizer = window.AftertalkRandomizer;  // randomize.js, loaded before this file
  var canScramble = canSend && !!(randomizer && window.crypto && window.crypto.getRandomValues && window.Uint32Array);

  // The page carries its messages in its own language, so this script needs no translations.
  function message(name) { return main.getAttribute("data-msg-" + name); }

  function shownQuestion() {
    var form = main.querySelector("form.question");
    return form ? form.getAttribute("data-question") : null;
  }

  // Show what this phone should see now. A question the person is answering is never replaced by
  // itself, so a half-made choice is not wiped by a live update. `live` marks an update the person
  // did not ask for: if their question vanished, they are told the poll closed.
  function show(html, thanks, live) {
    var before = shownQuestion();
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var incoming = holder.querySelector("form.question");
    if (!thanks && before && incoming && incoming.getAttribute("data-question") === before) { return; }
    // A live update that brings no question leaves the thanks in place: a phone that answered through
    // the plain form (no fetch) gets the stream's first update the moment its thanks page loads.
    var kept = live && !incoming ? main.querySelector(".thanks") : null;
    main.innerHTML = html;
    if (kept && !main.querySelector(".thanks")) { main.insertBefore(kept, main.firstChild); }
    revealScriptParts();
    if (live && before) {
      var notice = document.createElement("p");
      notice.className = "notice";
      notice.setAttribute("role", "status");
      notice.textContent = message("closed");
      main.insertBefore(notice, main.firstChild);
    }
    if (thanks || (incoming && incoming.getAttribute("data-question") !== before)) { main.focus(); }
  }

  function refresh(thanks, live) {
    var url = base + "/current" + (thanks ? "?thanks=1" : "");
    if (!canSend) {  // an old phone: the same request the old way (every reply says no-store)
      var request = new XMLHttpRequest();
      request.open("GET", url);
      request.onload = function () { if (request.status === 200) { show(request.responseText, thanks, live); } };
      request.send();  // an error (offline for a moment) is silent: the stream's reconnect will try again
      return;
    }
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) { show(html, thanks, live); })
      .catch(function () { /* offline for a moment: the stream's reconnect will try again */ });
  }

  // The server sends the next view with its reply and with each live update; ask only if it did not.
  function update(reply, thanks, live) {
    if (reply && typeof reply.html === "string") { show(reply.html, thanks, live); } else { refresh(thanks, live); }
  }

  // --- randomized response: the answer is scrambled here (randomize.js), before it leaves the phone
  // The coins come from the browser's cryptographic source: what the phone sends must not be guessable.
  function randomUnit() {
    var word = new Uint32Array(1);
    window.crypto.getRandomValues(word);
    return word[0] / 4294967296;
  }

  // A repeated question must get the same scrambled answer: fresh randomness would erode it.
  function scrambled(form, chosen) {
    var key = "aftertalk-rr:" + code + ":" + form.getAttribute("data-question");
    var kept = null;
    try { kept = JSON.parse(window.localStorage.getItem(key)); } catch (ignored) { kept = null; }
    if (kept) { return kept; }
    var answer = randomizer.randomize(JSON.parse(form.getAttribute("data-design")), chosen, randomUnit);
    try { window.localStorage.setItem(key, JSON.stringify(answer)); } catch (ignored) { /* private mode */ }
    return answer;
  }

  // Parts that need this script start hidden; notes for phones without it are hidden by it. (Today
  // these are a randomized question's choices, so they wait for a random source too.)
  function revealScriptParts() {
    if (!canScramble) { return; }
    var parts = main.querySelectorAll(".needs-script");
    for (var i = 0; i < parts.length; i++) { parts[i].hidden = false; }
    var notes = main.querySelectorAll(".without-script");
    for (var j = 0; j < notes.length; j++) { notes[j].hidden = true; }
  }
  revealScriptParts();

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

  function utf8Length(text) {
    if (window.TextEncoder) { return new TextEncoder().encode(text).length; }
    return unescape(encodeURIComponent(text)).length;  // old phones: one character per UTF-8 byte
  }

  // The body padded with spaces to a whole number of PAD_BYTES: counted in bytes, not characters, so
  // "Sí" and "Si", or "ñ" in a word, weigh the same on the network.
  function padded(body) {
    var size = utf8Length(body);
    var target = Math.max(1, Math.ceil(size / PAD_BYTES)) * PAD_BYTES;
    return body + new Array(target - size + 1).join(" ");
  }

  // POST a JSON body; `done(ok, body)` gets the server's reply, or ok = null when offline.
  function send(url, payload, done) {
    var body = padded(JSON.stringify(payload));
    fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: body
    }).then(function (response) {
      return response.json().then(function (reply) { done(response.ok, reply); });
    }).catch(function () { done(null, {}); });
  }

  // Which button sent a form: Safari before iOS 15.4 has no `event.submitter`, so the last one pressed is
  // kept. A tap, a key on the button and Enter in a text field (which presses the form's first button,
  // Send) all arrive here as a click.
  var pressed = null;
  main.addEventListener("click", function (event) {
    for (var node = event.target; node && node !== main; node = node.parentNode) {
      if (node.nodeName === "BUTTON") { pressed = node.type === "submit" ? node : null; return; }
    }
  }, true);

  function submitter(event, form) {
    var button = event.submitter || (pressed && pressed.form === form ? pressed : null);
    pressed = null;
    return button;
  }

  main.addEventListener("submit", function (event) {
    var form = event.target;
    var button = submitter(event, form);
    if (!canSend) { return; }  // the plain form posts, as with JavaScript off
    if (form.classList && form.classList.contains("upvote")) {
      event.preventDefault();
      send(form.getAttribute("action"), {}, function (ok, reply) { update(reply, false, false); });
      return;
    }
    if (!form.classList || !form.classList.contains("question")) { return; }
    var skip = button ? button.value === "skip" : false;  // none pressed: Enter in the word box sends
    // A randomized answer leaves the phone only scrambled; without a random source the plain form goes,
    // and the server refuses it as it refuses any unscrambled answer.
    if (!skip && form.hasAttribute("data-design") && !canScramble) { return; }
    event.preventDefault();
    var wordInput = form.querySelector("input[name=word]");
    var options = [];
    var inputs = form.querySelectorAll("input[name=option][data-id]:checked");  // not "nothing chosen"
    for (var i = 0; i < inputs.length; i++) { options.push(inputs[i].getAttribute("data-id")); }
    var error = form.querySelector(".error");
    if (!skip && wordInput && !wordInput.value.trim()) {
      error.textContent = message("word");
      return;
    }
    if (!skip && !wordInput && options.length === 0) {
      error.textContent = message("choose");
      return;
    }
    var scramble = !skip && form.hasAttribute("data-design") && !randomizer.declined(options);
    if (scramble) { options = scrambled(form, options); }
    var buttons = form.querySelectorAll("button");
    for (var b = 0; b < buttons.length; b++) { buttons[b].disabled = true; }
    var payload = { question: form.getAttribute("data-question"), options: options, skip: skip };
    if (wordInput) { payload.word = wordInput.value; }
    send(base + "/answer", payload, function (ok, reply) {
      if (ok) { update(reply, true, false); return; }  // the same view after an answer and a skip
      error.textContent = ok === null ? message("offline") : (reply.error || message("failed"));
      for (var b = 0; b < buttons.length; b++) { buttons[b].disabled = false; }
    });
  });

  // The question box sits outside the live part of the page, so a live update never wipes a
  // question someone is still typing.
  var ask = document.querySelector("form.ask");
  if (ask) {
    ask.addEventListener("submit", function (event) {
      if (!canSend) { return; }  // the plain form posts, as with JavaScript off
      event.preventDefault();
      var text = ask.querySelector("textarea");
      var error = ask.querySelector(".error");
      send(ask.getAttribute("action"), { text: text.value }, function (ok, reply) {
        if (ok) {
          text.value = "";
          error.textContent = "";
          var thanks = ask.parentNode.querySelector(".thanks") || document.createElement("p");
          thanks.className = "thanks";
          thanks.setAttribute("role", "status");
          thanks.textContent = message("asked");
          ask.parentNode.insertBefore(thanks, ask);
          return;
        }
        error.textContent = ok === null ? message("offline") : (reply.error || message("failed"));
      });
    });
  }

  function listen() {
    var stream = new EventSource(base + "/events");
    stream.addEventListener("change", function (event) {
      var change = null;
      try { change = JSON.parse(event.data); } catch (ignored) { change = null; }
      update(change, false, true);
    });
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
