/* Drafts that survive a closed tab or a lost network: the note editor's autosave.
 *
 * Every keystroke is kept in this browser (localStorage, per note) together with the revision
 * of the draft it was typed on. About a second after typing stops, and when the field loses
 * focus or the page is hidden or left, the text is sent to the server with that revision. The
 * browser's copy is removed only once the server has confirmed exactly that text, so nothing
 * typed is lost in between. Signing saves first and only then submits the form, so what is
 * signed is what was on screen. Plain script, no framework; the page works without it too.
 */
(function () {
  "use strict";

  var form = document.getElementById("note-editor");
  if (!form || !window.fetch) {
    return;
  }
  var STORE = "homecoming.note-draft." + form.dataset.note;
  var DELAY_MS = 1000;
  var url = form.dataset.autosaveUrl;
  var revisionInput = form.querySelector('input[name="note-revision"]');
  var fields = Array.prototype.slice.call(form.querySelectorAll("textarea[data-section]"));
  var statusLine = form.querySelector("[data-draft-status]");
  var notice = form.querySelector("[data-draft-notice]");

  var timer = null;
  var inFlight = null; // the save under way, a Promise of whether the server has the text
  var dirty = false; // typed since the server last confirmed the text on screen
  var conflict = false; // the draft changed elsewhere: wait for the user to decide
  var offline = false;

  function csrfToken() {
    var input = form.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input) {
      return input.value;
    }
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function sections() {
    var out = {};
    fields.forEach(function (f) {
      out[f.dataset.section] = f.value;
    });
    return out;
  }

  function same(a, b) {
    return fields.every(function (f) {
      var k = f.dataset.section;
      return (a[k] || "") === (b[k] || "");
    });
  }

  function revision() {
    return parseInt(revisionInput.value, 10) || 0;
  }

  // The browser's copy. Storage may be full or disabled (private windows): then the page
  // still saves to the server, it only cannot bridge a closed tab.
  function keep() {
    try {
      localStorage.setItem(
        STORE,
        JSON.stringify({ revision: revision(), sections: sections(), at: Date.now() })
      );
    } catch (e) {
      /* nothing more to do */
    }
  }

  function kept() {
    try {
      var raw = localStorage.getItem(STORE);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  function forget() {
    try {
      localStorage.removeItem(STORE);
    } catch (e) {
      /* nothing more to do */
    }
  }

  function say(text) {
    statusLine.textContent = text;
  }

  function tell(parts) {
    // parts: strings and elements, shown in the notice above the fields.
    notice.textContent = "";
    parts.forEach(function (part) {
      notice.append(part);
    });
    notice.hidden = parts.length === 0;
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function fragmentText(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    return (doc.body.textContent || "").trim();
  }

  function goneOffline() {
    offline = true;
    say("Offline — your text is kept in this browser and will be saved when the connection returns");
  }

  function onConflict(serverRevision, message) {
    conflict = true;
    say("Not saved: this draft was changed elsewhere. Your text is kept in this browser.");
    tell([
      message + " ",
      button("Save my text over the other version", function () {
        // Both versions stay in the note's history; this one becomes the draft.
        revisionInput.value = serverRevision;
        conflict = false;
        tell([]);
        dirty = true;
        save();
      }),
      " Or reload the page to see the other version; your text will be offered there too.",
    ]);
  }

  function answered(response, sent) {
    var serverRevision = response.headers.get("X-Note-Revision");
    if (response.redirected || serverRevision === null) {
      // Sent to the log-in page (the session ended) or some other page: not saved.
      say(
        "Not saved: you may have been logged out. Log in again in another tab; your text is " +
          "kept in this browser."
      );
      return false;
    }
    return response.text().then(function (html) {
      var message = fragmentText(html);
      if (response.status === 200) {
        revisionInput.value = serverRevision;
        offline = false;
        if (same(sections(), sent)) {
          dirty = false;
          forget();
        } else {
          keep(); // typed on while saving: the copy is now based on the new revision
        }
        say(message);
        return !dirty;
      }
      if (response.status === 409) {
        onConflict(serverRevision, message);
        return false;
      }
      say("Not saved: " + message + " Your text is kept in this browser.");
      return false;
    });
  }

  // Send the text on screen; resolves to whether the server now holds it.
  function save(options) {
    clearTimeout(timer);
    timer = null;
    if (inFlight) {
      return inFlight.then(function () {
        return dirty ? save(options) : true;
      });
    }
    if (!dirty) {
      return Promise.resolve(true);
    }
    if (conflict) {
      return Promise.resolve(false);
    }
    if (navigator.onLine === false) {
      goneOffline();
      return Promise.resolve(false);
    }
    var sent = sections();
    var body = new URLSearchParams();
    body.set(revisionInput.name, revisionInput.value);
    fields.forEach(function (f) {
      body.set(f.name, f.value);
    });
    inFlight = fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: Boolean(options && options.keepalive),
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
    })
      .then(
        function (response) {
          return answered(response, sent);
        },
        function () {
          goneOffline();
          return false;
        }
      )
      .then(function (saved) {
        inFlight = null;
        return saved;
      });
    return inFlight;
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  // What this browser kept from an earlier visit: put back what the server never received.
  function restore() {
    var copy = kept();
    if (!copy || !copy.sections) {
      return;
    }
    if (same(copy.sections, sections())) {
      forget();
      return;
    }
    if (copy.revision >= revision()) {
      fields.forEach(function (f) {
        if (typeof copy.sections[f.dataset.section] === "string") {
          f.value = copy.sections[f.dataset.section];
        }
      });
      tell(["Restored text you typed that had not reached the server."]);
      dirty = true;
      save();
      return;
    }
    // Typed on an older revision, and the draft was saved elsewhere since: do not overwrite
    // the newer text, but show the older copy so nothing typed is lost.
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = "Show that text";
    details.append(summary);
    fields.forEach(function (f) {
      var text = copy.sections[f.dataset.section];
      if (text) {
        var label = form.querySelector('label[for="' + f.id + '"]');
        var heading = document.createElement("strong");
        heading.textContent = label ? label.textContent : f.dataset.section;
        var body = document.createElement("div");
        body.style.whiteSpace = "pre-wrap";
        body.textContent = text;
        details.append(heading, body);
      }
    });
    tell([
      "This browser kept text typed on an older version of this draft, which was saved " +
        "elsewhere since. Copy what you need from it into the fields below. ",
      details,
      button("Discard that text", function () {
        forget();
        tell([]);
      }),
    ]);
  }

  form.addEventListener("input", function (event) {
    if (!event.target.matches("textarea[data-section]")) {
      return;
    }
    dirty = true;
    keep();
    if (!conflict) {
      later();
    }
  });
  fields.forEach(function (f) {
    f.addEventListener("blur", function () {
      if (dirty) {
        save();
      }
    });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) {
      save({ keepalive: true });
    }
  });
  window.addEventListener("pagehide", function () {
    if (dirty) {
      save({ keepalive: true });
    }
  });
  window.addEventListener("online", function () {
    if (offline && dirty) {
      save();
    }
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    event.preventDefault();
    if (submitter && submitter.hasAttribute("data-save")) {
      dirty = true; // "Save draft" always asks the server, and says when it saved
      save();
      return;
    }
    // Signing: the server must hold the text on screen first; the form then carries that same
    // text and revision, and the server signs exactly that revision.
    say("Saving before signing…");
    save().then(function (saved) {
      if (!saved) {
        tell([
          "The note was not signed: your latest text has not reached the server yet. " +
            "It is kept in this browser; sign again once it is saved.",
        ]);
        return;
      }
      form.submit();
    });
  });

  restore();
  // Typed before this script ran (a slow network, or the browser putting back a form after a
  // reload): no input event was seen for that text, so save it now as if it had just been typed.
  if (!dirty && fields.some(function (f) { return f.value !== f.defaultValue; })) {
    dirty = true;
    keep();
    later();
  }
})();
