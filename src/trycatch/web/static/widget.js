/*
 * trycatch chat widget: one script tag, no build, no framework.
 *
 *   <script src="https://support.example.com/widget.js" data-trycatch></script>
 *
 * Options (attributes of the script tag):
 *   data-product="Hookrelay"          the product's name, for the panel's title
 *   data-mode="inline"                render into data-target instead of a floating button
 *   data-target="#chat"               where the inline chat goes
 *   data-customer-email, data-customer-id, data-customer-name
 *                                     who is asking, when the embedding site knows
 *   data-color="#4f46e5"              the accent colour
 *
 * The widget talks to the trycatch API of the server it was loaded from (JSON and
 * server-sent events). Everything it shows is built with DOM nodes and textContent, never
 * innerHTML: answers are untrusted text with a little Markdown (links, bold, code, lists).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__trycatchWidget) return;
  window.__trycatchWidget = true;

  var data = script.dataset;
  var origin = new URL(script.src, window.location.href).origin;
  var API = origin + "/api/v1";
  var inline = data.mode === "inline";
  var product = (data.product || "").trim();
  var storageKey = "trycatch:conversation:" + origin + ":" + (data.customerEmail || data.customerId || "");
  var customer = null;
  if (data.customerEmail || data.customerId) {
    customer = { name: data.customerName || "" };
    if (data.customerEmail) customer.email = data.customerEmail;
    if (data.customerId) customer.external_id = data.customerId;
  }

  var conversationId = null;
  try { conversationId = window.sessionStorage.getItem(storageKey); } catch (e) { /* private mode */ }
  var busy = false;
  var restored = false;

  // ---- DOM helpers --------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5v-8Z",
    close: "M6 6l12 12M18 6 6 18",
    send: "M4 12 20 4l-6 16-3-7-7-1Z",
    up: "M7 11v9H4v-9h3Zm2 9h8.3a2 2 0 0 0 2-1.6l1.2-6A2 2 0 0 0 18.5 10H14V6a2 2 0 0 0-2-2l-3 7v9Z",
    down: "M17 13V4h3v9h-3Zm-2-9H6.7a2 2 0 0 0-2 1.6l-1.2 6A2 2 0 0 0 5.5 14H10v4a2 2 0 0 0 2 2l3-7V4Z",
    person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 8a7 7 0 0 1 14 0"
  };
  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  // ---- Minimal, safe Markdown -----------------------------------------------------------
  function safeUrl(raw) {
    try {
      var url = new URL(raw, origin + "/");
      if (url.protocol === "http:" || url.protocol === "https:") return url.href;
    } catch (e) { /* not a URL */ }
    return null;
  }

  function linkTarget(anchor) {
    // Links to the help center open in a new tab when the widget is embedded elsewhere.
    if (new URL(anchor.href).origin !== window.location.origin) {
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer";
    }
    return anchor;
  }

  var INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\[([^\]\n]+)\]\(([^)\s]+)\))/g;
  function appendInline(parent, text) {
    var last = 0;
    var match;
    INLINE.lastIndex = 0;
    while ((match = INLINE.exec(text)) !== null) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1]) {
        parent.appendChild(el("code", { text: match[1].slice(1, -1) }));
      } else if (match[2]) {
        parent.appendChild(el("strong", { text: match[2].slice(2, -2) }));
      } else {
        var href = safeUrl(match[5]);
        parent.appendChild(href ? linkTarget(el("a", { href: href, text: match[4] })) : document.createTextNode(match[0]));
      }
      last = INLINE.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  var BULLET = /^\s*[-*+]\s+/;
  var NUMBER = /^\s*\d+[.)]\s+/;
  var FENCE = /^\s*```/;
  function renderMarkdown(text) {
    var root = el("div", { className: "tc-md" });
    var lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
    var i = 0;
    while (i < lines.length) {
      var line = lines[i];
      if (FENCE.test(line)) {
        var code = [];
        i++;
        while (i < lines.length && !FENCE.test(lines[i])) code.push(lines[i++]);
        i++;
        root.appendChild(el("pre", null, [el("code", { text: code.join("\n") })]));
      } else if (BULLET.test(line) || NUMBER.test(line)) {
        var pattern = BULLET.test(line) ? BULLET : NUMBER;
        var list = el(pattern === BULLET ? "ul" : "ol");
        while (i < lines.length && pattern.test(lines[i])) {
          var item = el("li");
          appendInline(item, lines[i].replace(pattern, ""));
          list.appendChild(item);
          i++;
        }
        root.appendChild(list);
      } else if (!line.trim()) {
        i++;
      } else {
        var para = [];
        while (i < lines.length && lines[i].trim() && !FENCE.test(lines[i]) &&
               !BULLET.test(lines[i]) && !NUMBER.test(lines[i])) {
          para.push(lines[i].replace(/^#{1,6}\s+/, "").trim());
          i++;
        }
        var p = el("p");
        appendInline(p, para.join(" "));
        root.appendChild(p);
      }
    }
    return root;
  }

  // ---- API -------------------------------------------------------------------------------
  function withCustomer(body) {
    if (customer) body.customer = customer;
    return body;
  }

  function problem(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      var message = "Something went wrong. Please try again.";
      if (response.status === 429) {
        var wait = response.headers.get("Retry-After") || "a few";
        message = "You're sending messages quickly. Please wait " + wait + " seconds and try again.";
      } else if (response.status === 422 && body && Array.isArray(body.detail) && body.detail[0]) {
        message = "Please check your message: " + body.detail[0].msg;
      } else if (response.status === 404) {
        forgetConversation();
        message = "This conversation has ended. Your next message starts a new one.";
      }
      var error = new Error(message);
      error.status = response.status;
      throw error;
    });
  }

  function postJSON(path, body) {
    return fetch(API + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.ok ? response.json() : problem(response);
    });
  }

  // Reads a text/event-stream body: calls onEvent(name, data) for each event.
  function readEvents(response, onEvent) {
    function dispatch(block) {
      var name = "message";
      var payload = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) payload.push(line.slice(5).replace(/^ /, ""));
      });
      if (payload.length) onEvent(name, JSON.parse(payload.join("\n")));
    }
    function drain(buffer) {
      var parts = buffer.split(/\n\n/);
      var rest = parts.pop();
      parts.forEach(function (part) { if (part.trim()) dispatch(part); });
      return rest;
    }
    if (!response.body || !window.TextDecoder) {
      return response.text().then(function (text) { drain(text + "\n\n"); });
    }
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { drain(buffer + "\n\n"); return; }
        buffer = drain(buffer + decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n"));
        return pump();
      });
    }
    return pump();
  }

  function ask(text, onDelta) {
    var path = conversationId
      ? "/conversations/" + encodeURIComponent(conversationId) + "/messages/stream"
      : "/conversations/stream";
    var body = conversationId ? { message: text } : { message: text, channel: "widget" };
    return fetch(API + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify(withCustomer(body))
    }).then(function (response) {
      if (!response.ok) return problem(response);
      var reply = null;
      return readEvents(response, function (name, payload) {
        if (name === "delta" && onDelta) onDelta(payload.text || "");
        else if (name === "answer") reply = payload;
      }).then(function () {
        if (!reply) throw new Error("The answer was cut off. Please try again.");
        return reply;
      });
    });
  }

  function rememberConversation(id) {
    conversationId = id;
    try { window.sessionStorage.setItem(storageKey, id); } catch (e) { /* private mode */ }
  }

  function forgetConversation() {
    conversationId = null;
    try { window.sessionStorage.removeItem(storageKey); } catch (e) { /* private mode */ }
  }

  // ---- UI --------------------------------------------------------------------------------
  var host = el("div", { className: "trycatch-widget" });
  if (data.color) host.style.setProperty("--tc-accent", data.color);
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  shadow.appendChild(el("link", { rel: "stylesheet", href: origin + "/static/widget.css" }));

  var title = product ? "Ask " + product : "Ask a question";
  var messages = el("div", { className: "tc-messages", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  var input = el("textarea", {
    className: "tc-input", id: "tc-input", rows: "1", maxlength: "8000",
    placeholder: "Ask a question…", "aria-label": "Your question"
  });
  var sendButton = el("button", { type: "submit", className: "tc-send", "aria-label": "Send" }, [icon("send")]);
  var form = el("form", { className: "tc-composer" }, [input, sendButton]);
  var humanButton = el("button", { type: "button", className: "tc-human" }, [icon("person"), "Talk to a human"]);
  var closeButton = inline ? null : el("button", { type: "button", className: "tc-close", "aria-label": "Close chat" }, [icon("close")]);
  var panel = el("section", {
    className: "tc-panel" + (inline ? " tc-inline" : ""),
    id: "tc-panel",
    role: inline ? "region" : "dialog",
    "aria-label": title,
    hidden: !inline
  }, [
    el("header", { className: "tc-header" }, [
      el("div", { className: "tc-avatar", "aria-hidden": "true" }, [icon("chat")]),
      el("div", { className: "tc-heading" }, [
        el("h2", { className: "tc-title", text: title }),
        el("p", { className: "tc-subtitle", text: "Answers from our docs, or a person" })
      ]),
      closeButton
    ]),
    messages,
    el("div", { className: "tc-footer" }, [form, el("div", { className: "tc-actions" }, [
      humanButton,
      el("span", { className: "tc-powered", text: "Powered by trycatch" })
    ])])
  ]);
  var launcher = inline ? null : el("button", {
    type: "button", className: "tc-launcher", "aria-label": "Open chat: " + title,
    "aria-expanded": "false", "aria-controls": "tc-panel"
  }, [icon("chat"), el("span", { className: "tc-launcher-label", text: "Ask a question" })]);

  if (launcher) shadow.appendChild(launcher);
  shadow.appendChild(panel);

  function scrollDown() { messages.scrollTop = messages.scrollHeight; }

  function bubble(role, content, extraClass) {
    var node = el("div", { className: "tc-msg tc-" + role + (extraClass ? " " + extraClass : "") });
    var body = el("div", { className: "tc-bubble" });
    if (typeof content === "string") body.textContent = content;
    else body.appendChild(content);
    node.appendChild(body);
    messages.appendChild(node);
    scrollDown();
    return node;
  }

  function greet() {
    bubble("agent", renderMarkdown(
      "Hi! Ask me anything about " + (product || "the product") + ". I answer from our " +
      "documentation and link the pages I used. Need a person? Use **Talk to a human**."
    ), "tc-greeting");
  }

  function typing() {
    var dots = el("span", { className: "tc-typing", "aria-label": "The assistant is writing" },
      [el("span"), el("span"), el("span")]);
    return bubble("agent", dots, "tc-pending");
  }

  function feedbackControls(reply) {
    var box = el("div", { className: "tc-feedback" });
    var label = el("span", { className: "tc-feedback-label", text: "Was this helpful?" });
    function send(rating, comment) {
      return postJSON(
        "/conversations/" + encodeURIComponent(reply.conversation_id) + "/messages/" +
          reply.message_id + "/feedback",
        withCustomer({ rating: rating, comment: comment || "" })
      ).then(function () {
        box.textContent = "";
        box.appendChild(el("span", { className: "tc-thanks", role: "status",
          text: rating === "up" ? "Thanks for your feedback!" : "Thanks — we'll use this to improve." }));
      }).catch(function (error) {
        box.appendChild(el("span", { className: "tc-error", role: "alert", text: error.message }));
      });
    }
    var up = el("button", { type: "button", className: "tc-rate", "aria-label": "Helpful", "aria-pressed": "false" }, [icon("up")]);
    var down = el("button", { type: "button", className: "tc-rate", "aria-label": "Not helpful", "aria-pressed": "false" }, [icon("down")]);
    up.addEventListener("click", function () {
      up.setAttribute("aria-pressed", "true");
      up.disabled = down.disabled = true;
      send("up");
    });
    down.addEventListener("click", function () {
      down.setAttribute("aria-pressed", "true");
      up.disabled = down.disabled = true;
      var comment = el("textarea", {
        className: "tc-comment", rows: "2", maxlength: "2000",
        placeholder: "What was missing or wrong? (optional)", "aria-label": "What was missing or wrong?"
      });
      var submit = el("button", { type: "submit", className: "tc-small-button", text: "Send feedback" });
      var commentForm = el("form", { className: "tc-comment-form" }, [comment, submit]);
      commentForm.addEventListener("submit", function (event) {
        event.preventDefault();
        submit.disabled = true;
        send("down", comment.value.trim());
      });
      box.appendChild(commentForm);
      comment.focus();
      scrollDown();
    });
    box.appendChild(label);
    box.appendChild(up);
    box.appendChild(down);
    return box;
  }

  function showReply(reply, node) {
    var content = el("div");
    content.appendChild(renderMarkdown(reply.answer));
    if (reply.outcome === "escalated") {
      content.appendChild(el("p", { className: "tc-handoff", text: "Handed to our support team" }));
    }
    // Citations the answer does not already link to are listed under it.
    var linked = {};
    Array.prototype.forEach.call(content.querySelectorAll("a"), function (a) { linked[a.href] = true; });
    var list = el("ul", { className: "tc-sources-list" });
    (reply.citations || []).forEach(function (citation) {
      var href = safeUrl(citation.url);
      if (href && !linked[href]) {
        list.appendChild(el("li", null, [linkTarget(el("a", { href: href, text: citation.title }))]));
      }
    });
    if (list.childNodes.length) {
      content.appendChild(el("div", { className: "tc-sources" }, [
        el("p", { className: "tc-sources-title", text: "Sources" }), list
      ]));
    }
    var wrapper = node || bubble("agent", el("div"));
    wrapper.className = "tc-msg tc-agent tc-outcome-" + reply.outcome;
    var body = wrapper.querySelector(".tc-bubble");
    body.textContent = "";
    body.appendChild(content);
    if (reply.outcome !== "escalated" && reply.message_id) wrapper.appendChild(feedbackControls(reply));
    if (reply.outcome === "escalated") {
      humanButton.disabled = true;
      humanButton.lastChild.textContent = "A person will reply";
    }
    scrollDown();
  }

  function showError(node, message) {
    node.className = "tc-msg tc-agent tc-failed";
    var body = node.querySelector(".tc-bubble");
    body.textContent = message;
    body.setAttribute("role", "alert");
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    input.setAttribute("aria-busy", value ? "true" : "false");
  }

  function submitQuestion(text) {
    if (busy || !text) return;
    setBusy(true);
    bubble("customer", text);
    var pending = typing();
    var streamed = "";
    ask(text, function (delta) {
      streamed += delta;
      var body = pending.querySelector(".tc-bubble");
      body.textContent = streamed;
    }).then(function (reply) {
      rememberConversation(reply.conversation_id);
      showReply(reply, pending);
    }).catch(function (error) {
      showError(pending, error.message || "Something went wrong. Please try again.");
    }).then(function () { setBusy(false); input.focus(); });
  }

  function requestHuman() {
    if (busy) return;
    if (!conversationId) { submitQuestion("I'd like to talk to a human."); return; }
    setBusy(true);
    bubble("customer", "Talk to a human");
    var pending = typing();
    postJSON("/conversations/" + encodeURIComponent(conversationId) + "/handoff", withCustomer({}))
      .then(function (reply) { showReply(reply, pending); })
      .catch(function (error) { showError(pending, error.message); })
      .then(function () { setBusy(false); });
  }

  function restore() {
    if (restored) return;
    restored = true;
    if (!conversationId) { greet(); return; }
    var query = "";
    if (customer && customer.email) query = "?customer_email=" + encodeURIComponent(customer.email);
    else if (customer && customer.external_id) query = "?customer_external_id=" + encodeURIComponent(customer.external_id);
    fetch(API + "/conversations/" + encodeURIComponent(conversationId) + query, {
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("gone");
      return response.json();
    }).then(function (transcript) {
      greet();
      transcript.messages.forEach(function (message) {
        if (message.role === "customer") {
          bubble("customer", message.text);
        } else {
          showReply({
            outcome: message.outcome || "answered", answer: message.text,
            citations: message.citations, conversation_id: transcript.conversation_id,
            message_id: null
          });
        }
      });
    }).catch(function () { forgetConversation(); greet(); });
  }

  function open() {
    panel.hidden = false;
    if (launcher) {
      launcher.setAttribute("aria-expanded", "true");
      launcher.classList.add("tc-open");
    }
    restore();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.classList.remove("tc-open");
    launcher.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "";
    submitQuestion(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", function () {
    input.style.height = "";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  });
  humanButton.addEventListener("click", requestHuman);
  if (launcher) {
    launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
    closeButton.addEventListener("click", close);
    panel.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  }

  function mount() {
    var target = inline && data.target ? document.querySelector(data.target) : null;
    (target || document.body).appendChild(host);
    if (inline) { restore(); }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();

  window.trycatch = { open: inline ? function () { input.focus(); } : open };
})();
