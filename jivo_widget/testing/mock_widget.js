/*
 * A mocked Jivo widget that behaves as Jivo's docs say (https://www.jivochat.com/docs/widget/),
 * driven by jivo_widget.catalog: it receives the catalog as window.__JIVO_CATALOG__ and its
 * options as window.__JIVO_MOCK_OPTIONS__ (both set just before this file by the Python side).
 *
 * Lifecycle, as with the real widget:
 *   - installing this file defines window.__jivoMock only; there is no jivo_api yet;
 *   - the loader (any loader URL form, answered by __jivoMock.boot) defines window.jivo_api,
 *     window.jivo_init and window.jivo_destroy, then fires jivo_onLoadCallback after a task;
 *   - jivo_destroy() fires jivo_onWidgetDestroy, jivo_init() re-creates the widget and fires
 *     jivo_onLoadCallback again.
 *
 * Everything is recorded in order in __jivoMock.log (calls, fired callbacks, violations), with
 * arguments JSON-round-tripped (functions become "[function]"), and each record is also
 * dispatched as a CustomEvent "jivo-mock" on window so a page can show them live.
 *
 * The file is idempotent: the pytest plugin installs it as an init script and the routed loader
 * may carry it again; the second copy is a no-op.
 *
 * window.__jivoMock (the documented page-side API; the Python JivoMock wraps it):
 *   log, calls, callbacks, violations   ordered records (see below); loaded: bool
 *   state()                              the widget's state as plain data
 *   fire(name, ...args)                  fire a jivo_on* callback as the widget would
 *   visitorIntroduces({name, email, phone, description}), visitorSendsMessage(text),
 *   visitorOpensChat(), visitorClosesChat(), agentAccepts(), agentSendsMessage(text),
 *   callEnds(), setChatMode("online"|"offline"), setCallbacksEnabled(bool),
 *   setVisitorNumberError(str|null)
 *   boot({widget_id}, currentScript)     what a loader URL runs
 * Records: {kind: "call", seq, name, args, result} | {kind: "callback", seq, name, args, handled}
 *        | {kind: "violation", seq, id, name, message}; event "jivo-mock" carries one as detail.
 */
(function () {
  "use strict";
  if (window.__jivoMock) return;

  var CATALOG = window.__JIVO_CATALOG__;
  if (!CATALOG) throw new Error("jivo mock: window.__JIVO_CATALOG__ is missing");
  var OPTIONS = window.__JIVO_MOCK_OPTIONS__ || {};
  var LIMITS = CATALOG.limits;
  var EVENT_NAME = "jivo-mock";
  // Distinguishes records of this document from those of earlier documents reported to Python.
  var DOC_ID = Math.random().toString(36).slice(2, 10);
  // Patterns and field lists come from the catalog (unanchored there: anchored here).
  function fullMatch(pattern) { return new RegExp("^(?:" + pattern + ")$"); }
  var WIDGET_ID_RE = fullMatch(CATALOG.patterns.widget_id);
  var COLOR_RE = fullMatch(CATALOG.patterns.color);
  var CONTACT_KEYS = CATALOG.fields.contact;
  var OFFLINE_KEYS = CATALOG.fields.offline_message;
  var CUSTOM_FIELD_KEYS = CATALOG.fields.custom_data;
  var UTM_KEYS = CATALOG.fields.utm;
  var HOUR_MS = 3600 * 1000;

  function emptyContact() {
    var contact = {};
    CONTACT_KEYS.forEach(function (key) { contact[key] = null; });
    return contact;
  }

  var seq = 0;
  var mock = {
    /** Every record in order: {kind: "call"|"callback"|"violation", seq, name, ...}. */
    log: [],
    /** jivo_api / global calls: {kind, seq, name, args, result}. */
    calls: [],
    /** Fired callbacks: {kind, seq, name, args, handled} (handled: the page defined it). */
    callbacks: [],
    /** Contract violations: {kind, seq, id, name, message}. */
    violations: [],
    /** Catalog methods the mock has no behaviour for (a defect of the mock; must stay empty). */
    unimplemented: [],
    /** True from the moment jivo_onLoadCallback fires until jivo_destroy(). */
    loaded: false,
    /** How many times a loader ran on this page. */
    loaderRuns: 0,
    eventName: EVENT_NAME,
  };

  var state = {
    status: "absent", // absent -> loading -> ready -> destroyed -> loading ...
    widget_id: null,
    chat_mode: OPTIONS.chat_mode === "offline" ? "offline" : "online",
    callbacks_enabled: OPTIONS.callbacks_enabled !== false,
    visitor_number: typeof OPTIONS.visitor_number === "number" ? OPTIONS.visitor_number : 1,
    // getVisitorNumber calls back cb(err, number): a string here makes it call back the error.
    visitor_number_error: typeof OPTIONS.visitor_number_error === "string" ? OPTIONS.visitor_number_error : null,
    open: false,
    view: null,
    contact: emptyContact(),
    custom_data: null,
    user_token: null,
    rules: null,
    client_attributes: {},
    widget_color: null,
    page_title: null,
    invitation: null,
    messages: [],
    unread: 0,
    chat_started: false,
    utm: null,
    call: null, // {phone} from a successful startCall until the call ends
  };

  // ---------------------------------------------------------------- recording

  function snapshot(value) {
    try {
      var text = JSON.stringify(value, function (key, v) {
        return typeof v === "function" ? "[function]" : v;
      });
      return text === undefined ? null : JSON.parse(text);
    } catch (e) {
      return "[unserializable: " + String(e && e.message) + "]";
    }
  }

  function emit(record, list) {
    record.seq = ++seq;
    list.push(record);
    mock.log.push(record);
    try {
      window.dispatchEvent(new CustomEvent(EVENT_NAME, { detail: record }));
    } catch (e) {
      reportError(e);
    }
    return record;
  }

  function reportError(error) {
    // Rethrow outside our stack so the page (and Playwright's pageerror) sees it, while the
    // widget itself keeps working, as a real third-party script would.
    if (typeof window.reportError === "function") window.reportError(error);
    else setTimeout(function () { throw error; }, 0);
  }

  function violation(name, message) {
    var record = emit(
      { kind: "violation", id: DOC_ID + ":" + (seq + 1), name: name, message: name + ": " + message },
      mock.violations
    );
    if (typeof window.__jivoMockReport === "function") {
      // A Playwright binding: keeps violations of this document after the page navigates.
      try {
        var pending = window.__jivoMockReport({ id: record.id, message: record.message });
        if (pending && typeof pending.catch === "function") pending.catch(function () {});
      } catch (e) { /* the binding is best-effort; the in-page log stays authoritative */ }
    }
    return record;
  }

  function fire(name, args) {
    if (!Object.prototype.hasOwnProperty.call(CATALOG.callbacks, name)) {
      throw new Error("jivo mock: " + name + " is not a Jivo callback");
    }
    args = args || [];
    var handler = window[name];
    var handled = typeof handler === "function";
    emit({ kind: "callback", name: name, args: snapshot(args), handled: handled }, mock.callbacks);
    if (handled) {
      try {
        handler.apply(window, args);
      } catch (e) {
        reportError(e);
      }
    }
  }

  // ---------------------------------------------------------------- argument checks

  function describe(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number" && !Number.isInteger(value)) return "number " + value;
    if (typeof value === "string") return "string " + JSON.stringify(value.slice(0, 40));
    return typeof value;
  }

  function typeMatches(type, value) {
    switch (type) {
      case "any": return true;
      case "string": return typeof value === "string";
      case "number": return typeof value === "number" && isFinite(value);
      case "integer": return typeof value === "number" && Number.isInteger(value);
      case "boolean": return typeof value === "boolean";
      case "function": return typeof value === "function";
      case "array": return Array.isArray(value);
      case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
      default: return true;
    }
  }

  /** Checks args against the catalog's Params; returns false when a required one is unusable. */
  function checkArgs(label, spec, args) {
    var ok = true;
    var params = spec.params || [];
    for (var i = 0; i < params.length; i++) {
      var p = params[i];
      var value = args[i];
      // Absent optional arguments may be passed as undefined or null (common in glue code).
      if (value === undefined || (value === null && p.optional)) {
        if (!p.optional) {
          violation(label, "missing required argument " + p.name + " (" + p.type + ")");
          ok = false;
        }
        continue;
      }
      if (!typeMatches(p.type, value)) {
        violation(label, "argument " + p.name + " must be " + p.type + ", got " + describe(value));
        if (!p.optional) ok = false;
      }
    }
    if (args.length > params.length) {
      violation(label, "takes at most " + params.length + " argument(s), got " + args.length);
    }
    return ok;
  }

  function checkKeys(label, obj, allowed, what) {
    Object.keys(obj).forEach(function (key) {
      if (allowed.indexOf(key) < 0) {
        var hint = key === "client_name" ? " (setContactInfo takes `name`; `client_name` is what getContactInfo returns)" : "";
        violation(label, "unknown " + what + " key " + JSON.stringify(key) + hint);
      }
    });
  }

  function checkStringValues(label, obj, keys) {
    keys.forEach(function (key) {
      var v = obj[key];
      if (v !== undefined && v !== null && typeof v !== "string") {
        violation(label, key + " must be a string, got " + describe(v));
      }
    });
  }

  function isHttpUrl(text) {
    try {
      var url = new URL(text);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch (e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- widget state changes

  function changeStateName(view) {
    // The docs name chat, call, chat/call, label and chat/min; the channel menu has no name of
    // its own, it lives in the chat window.
    return view === "call" ? "call" : "chat";
  }

  function setOpen(open, view) {
    if (open) {
      var wasOpen = state.open;
      if (wasOpen && state.view === view) return;
      state.open = true;
      state.view = view;
      state.unread = 0;
      renderElement();
      if (!wasOpen) fire("jivo_onOpen");
      fire("jivo_onChangeState", [changeStateName(view)]);
      fire("jivo_onResizeCallback");
    } else {
      if (!state.open) return;
      state.open = false;
      state.view = null;
      renderElement();
      fire("jivo_onClose");
      fire("jivo_onChangeState", [state.chat_started ? "chat/min" : "label"]);
      fire("jivo_onResizeCallback");
    }
  }

  function requireReady(action) {
    if (state.status !== "ready") {
      throw new Error("jivo mock: cannot " + action + ": the widget is " + state.status +
        " (wait for jivo_onLoadCallback)");
    }
  }

  function emptyToNull(value) {
    return value === undefined || value === null || value === "" ? null : value;
  }

  function readUtm() {
    if (OPTIONS.utm && typeof OPTIONS.utm === "object") {
      var fromOptions = {};
      UTM_KEYS.forEach(function (k) { fromOptions[k] = emptyToNull(OPTIONS.utm[k]); });
      return fromOptions;
    }
    var params = new URLSearchParams(window.location.search);
    var utm = {};
    UTM_KEYS.forEach(function (k) { utm[k] = emptyToNull(params.get("utm_" + k)); });
    return utm;
  }

  // localStorage keeps the per-visitor hourly count across page views, as Jivo counts it.
  var memoryAttributeCalls = [];
  function attributeCallTimes() {
    var key = "__jivo_mock_client_attributes:" + state.widget_id;
    var now = Date.now();
    var times = memoryAttributeCalls;
    try {
      times = JSON.parse(window.localStorage.getItem(key) || "[]");
    } catch (e) { /* storage unavailable (opaque origin): per-page count */ }
    times = times.filter(function (t) { return now - t < HOUR_MS; });
    return {
      times: times,
      save: function (list) {
        memoryAttributeCalls = list;
        try { window.localStorage.setItem(key, JSON.stringify(list)); } catch (e) { /* see above */ }
      },
    };
  }

  // ---------------------------------------------------------------- the visible label

  var element = null;
  function renderElement() {
    if (state.status !== "ready") {
      if (element && element.parentNode) element.parentNode.removeChild(element);
      element = null;
      return;
    }
    if (!element) {
      element = document.createElement("jdiv");
      element.id = "jivo-mock-widget";
      element.setAttribute("role", "button");
      element.setAttribute("tabindex", "0");
      element.style.cssText = "position:fixed;right:12px;bottom:12px;z-index:2147483000;" +
        "padding:6px 10px;border-radius:14px;background:#1b7f4b;color:#fff;font:13px sans-serif;" +
        "cursor:pointer;user-select:none";
      element.addEventListener("click", function () {
        if (state.open) mock.visitorClosesChat();
        else mock.visitorOpensChat();
      });
      (document.body || document.documentElement).appendChild(element);
    }
    if (state.widget_color) element.style.background = state.widget_color;
    element.setAttribute("data-state", state.open ? "open" : "closed");
    element.setAttribute("aria-label", "Jivo chat (mock), " + (state.open ? "open" : "closed"));
    element.textContent = (state.open ? "Chat open" : "Chat") + " (Jivo mock, " + state.chat_mode + ")" +
      (state.unread ? " · " + state.unread : "");
  }

  // ---------------------------------------------------------------- jivo_api behaviour

  var impl = {
    open: function (params) {
      var start = "chat";
      if (params && typeof params === "object" && params.start !== undefined) {
        if (CATALOG.open_start_values.indexOf(params.start) < 0) {
          violation("jivo_api.open()", "start must be one of " + CATALOG.open_start_values.join(", ") +
            ", got " + describe(params.start));
          return { result: "fail" };
        }
        start = params.start;
      }
      if (state.status === "destroyed") return { result: "fail" };
      if (start === "call" && !state.callbacks_enabled) return { result: "fail" };
      setOpen(true, start);
      return { result: "ok" };
    },
    close: function () {
      if (state.status === "destroyed") return { result: "fail" };
      setOpen(false);
      return { result: "ok" };
    },
    showProactiveInvitation: function (text, departmentId) {
      if (typeof text !== "string") return undefined;
      state.invitation = { text: text, department_id: departmentId === undefined ? null : departmentId };
      // jivo_onOpen fires "by the visitor or an invitation": the invitation opens the window.
      setOpen(true, "chat");
      return undefined;
    },
    setWidgetColor: function (color, color2) {
      var label = "jivo_api.setWidgetColor()";
      if (typeof color === "string" && !COLOR_RE.test(color)) {
        violation(label, "color must be #rrggbb, got " + describe(color));
      }
      if (typeof color2 === "string" && !COLOR_RE.test(color2)) {
        violation(label, "color2 must be #rrggbb, got " + describe(color2));
      }
      state.widget_color = color;
      renderElement();
      return undefined;
    },
    chatMode: function () {
      return state.chat_mode;
    },
    startCall: function (phone) {
      var failure = null;
      if (!state.callbacks_enabled) failure = "callbacks are disabled for this widget";
      else if (typeof phone !== "string" || !/\d/.test(phone)) failure = "invalid phone number";
      if (failure) {
        var res = { result: "fail", reason: failure };
        fire("jivo_onCallEnd", [{ result: "fail", reason: failure }]);
        return res;
      }
      state.call = { phone: phone };
      fire("jivo_onCallStart");
      return { result: "ok" };
    },
    sendOfflineMessage: function (message) {
      var label = "jivo_api.sendOfflineMessage()";
      if (!message || typeof message !== "object") return { result: "fail", error: "message object required" };
      checkKeys(label, message, OFFLINE_KEYS, "offline message");
      checkStringValues(label, message, OFFLINE_KEYS);
      if (state.chat_mode === "online") {
        return { result: "fail", error: "agents are online; offline messages are accepted only offline" };
      }
      if (typeof message.message !== "string" || message.message === "") {
        return { result: "fail", error: "message is required" };
      }
      return { result: "ok" };
    },
    sendPageTitle: function (title, fromApi, url) {
      if (typeof title === "string") state.page_title = { title: title, url: url === undefined ? null : url };
      return undefined;
    },
    setContactInfo: function (info) {
      var label = "jivo_api.setContactInfo()";
      if (!info || typeof info !== "object" || Array.isArray(info)) return undefined;
      checkKeys(label, info, CONTACT_KEYS, "contact");
      checkStringValues(label, info, CONTACT_KEYS);
      CONTACT_KEYS.forEach(function (key) {
        if (typeof info[key] === "string") state.contact[key] = info[key];
      });
      return undefined;
    },
    setClientAttributes: function (attributes) {
      var label = "jivo_api.setClientAttributes()";
      if (!attributes || typeof attributes !== "object" || Array.isArray(attributes)) return undefined;
      var max = LIMITS.client_attributes_max_calls_per_hour;
      var counter = attributeCallTimes();
      if (counter.times.length >= max) {
        violation(label, "called " + (counter.times.length + 1) + " times within an hour for this visitor; " +
          "Jivo allows at most " + max + " (the call was rejected)");
        return undefined;
      }
      counter.times.push(Date.now());
      counter.save(counter.times);
      Object.keys(attributes).forEach(function (key) {
        var v = attributes[key];
        if (typeof v !== "string" && !(typeof v === "number" && isFinite(v))) {
          violation(label, "attribute " + JSON.stringify(key) + " must be a string or a number, got " + describe(v));
        } else {
          state.client_attributes[key] = v;
        }
      });
      return undefined;
    },
    setCustomData: function (fields) {
      var label = "jivo_api.setCustomData()";
      if (!Array.isArray(fields)) return undefined;
      var max = LIMITS.custom_data_max_fields;
      if (fields.length > max) {
        violation(label, fields.length + " fields; Jivo accepts at most " + max + " (the call was rejected)");
        return undefined;
      }
      var valid = true;
      fields.forEach(function (field, i) {
        var where = "field " + i;
        if (!field || typeof field !== "object" || Array.isArray(field)) {
          violation(label, where + " must be an object, got " + describe(field));
          valid = false;
          return;
        }
        checkKeys(label, field, CUSTOM_FIELD_KEYS, where);
        checkStringValues(label, field, CUSTOM_FIELD_KEYS);
        if (typeof field.content !== "string" || field.content === "") {
          violation(label, where + " has no content (content is required)");
          valid = false;
        }
        if (typeof field.link === "string" && !isHttpUrl(field.link)) {
          violation(label, where + " link must be an http(s) URL, got " + describe(field.link));
          valid = false;
        }
      });
      if (valid) state.custom_data = snapshot(fields);
      return undefined;
    },
    setUserToken: function (token) {
      if (typeof token === "string") {
        if (token === "") violation("jivo_api.setUserToken()", "the token is empty");
        state.user_token = token;
      }
      return undefined;
    },
    setRules: function (rules) {
      if (rules && typeof rules === "object") state.rules = snapshot(rules);
      return undefined;
    },
    getContactInfo: function () {
      // The catalog pairs what setContactInfo takes with what this returns, position by
      // position (name -> client_name).
      var info = {};
      CATALOG.fields.contact_info_result.forEach(function (key, i) {
        info[key] = emptyToNull(state.contact[CONTACT_KEYS[i]]);
      });
      return info;
    },
    getVisitorNumber: function (callback) {
      if (typeof callback !== "function") return undefined;
      var error = state.visitor_number_error;
      var number = error === null ? state.visitor_number : null;
      setTimeout(function () {
        try { callback(error, number); } catch (e) { reportError(e); }
      }, 0);
      return undefined;
    },
    getUnreadMessagesCount: function () {
      return state.unread;
    },
    getUtm: function () {
      return snapshot(state.utm || readUtm());
    },
    isCallbackEnabled: function (callback) {
      if (typeof callback !== "function") return undefined;
      var res = state.callbacks_enabled
        ? { result: "ok" }
        : { result: "fail", reason: "callbacks are disabled for this widget" };
      setTimeout(function () {
        try { callback(res); } catch (e) { reportError(e); }
      }, 0);
      return undefined;
    },
    clearHistory: function () {
      // "Deletes history and visitor data": everything the site told Jivo about the visitor.
      state.contact = emptyContact();
      state.custom_data = null;
      state.user_token = null;
      state.client_attributes = {};
      state.messages = [];
      state.unread = 0;
      state.chat_started = false;
      state.invitation = null;
      renderElement();
      return undefined;
    },
  };

  var globalsImpl = {
    jivo_init: function () {
      if (state.status !== "destroyed") return undefined; // already there: nothing to do
      startInit();
      return undefined;
    },
    jivo_destroy: function () {
      if (state.status === "destroyed") return undefined;
      state.status = "destroyed";
      state.open = false;
      state.view = null;
      mock.loaded = false;
      renderElement();
      fire("jivo_onWidgetDestroy");
      return undefined;
    },
  };

  function record(label, name, args, spec, body) {
    var argList = Array.prototype.slice.call(args);
    var entry = emit({ kind: "call", name: name, args: snapshot(argList), result: null }, mock.calls);
    // jivo_init / jivo_destroy are page-level switches, usable whenever the loader has run.
    var isGlobal = !!spec && spec.scope === "window";
    if (state.status === "loading" && !isGlobal) {
      violation(label, "called before jivo_onLoadCallback fired (Jivo's API is usable only from then on)");
    } else if (state.status === "destroyed" && !isGlobal) {
      violation(label, "called while the widget is destroyed (call jivo_init() first)");
    }
    var usable = spec ? checkArgs(label, spec, argList) : true;
    var result = usable && body ? body.apply(null, argList) : undefined;
    if (!usable && (name === "open" || name === "close")) result = { result: "fail" };
    entry.result = result === undefined ? null : snapshot(result);
    return result;
  }

  function wrapMethod(name) {
    var spec = CATALOG.methods[name];
    var body = impl[name];
    if (!body) mock.unimplemented.push(name);
    return function () {
      return record("jivo_api." + name + "()", name, arguments, spec, body);
    };
  }

  var api = {};
  Object.keys(CATALOG.methods).forEach(function (name) {
    api[name] = wrapMethod(name);
  });
  Object.keys(CATALOG.globals).forEach(function (name) {
    if (!globalsImpl[name]) mock.unimplemented.push(name);
  });

  var unknownMethods = {};
  function unknownMethod(name) {
    if (!unknownMethods[name]) {
      unknownMethods[name] = function () {
        var label = "jivo_api." + name + "()";
        var message = CATALOG.undocumented.indexOf(name) >= 0
          ? "undocumented (seen in the wild, not in Jivo's docs); do not call it"
          : "not a Jivo method";
        emit({ kind: "call", name: name, args: snapshot(Array.prototype.slice.call(arguments)), result: null },
          mock.calls);
        violation(label, message);
        return undefined;
      };
    }
    return unknownMethods[name];
  }

  // Unknown names are recorded instead of throwing, so a test sees every misuse at once. Names
  // that promise/serialisation machinery probes (then, toJSON, symbols) stay undefined.
  var jivoApi = new Proxy(api, {
    get: function (target, prop) {
      if (typeof prop !== "string" || prop === "then" || prop === "toJSON" || prop in Object.prototype) {
        return target[prop];
      }
      if (Object.prototype.hasOwnProperty.call(target, prop)) return target[prop];
      return unknownMethod(prop);
    },
  });

  function startInit() {
    state.status = "loading";
    // Jivo initialises asynchronously (it still fetches its bundle): jivo_onLoadCallback comes
    // after a task and, for a loader met while parsing, after the document is parsed, never
    // inside the loader's own execution. Scripts after the loader therefore see no load yet.
    afterParsing(function () {
      if (state.status !== "loading") return;
      state.status = "ready";
      if (!state.utm) state.utm = readUtm();
      mock.loaded = true;
      renderElement();
      fire("jivo_onLoadCallback");
    });
  }

  function afterParsing(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { setTimeout(fn, 0); }, { once: true });
    } else {
      setTimeout(fn, 0);
    }
  }

  // ---------------------------------------------------------------- public mock API

  /** Runs the widget as a loader would. `info.widget_id` may be null for widget.js + data-jv-id. */
  mock.boot = function (info, script) {
    mock.loaderRuns += 1;
    var id = info && info.widget_id;
    if (!id && script && script.getAttribute) {
      id = script.getAttribute("data-jv-id") || script.getAttribute("jv-id");
    }
    if (mock.loaderRuns > 1) {
      violation("loader", "the Jivo loader ran " + mock.loaderRuns + " times on this page; include it once");
      return;
    }
    if (!id) violation("loader", "no widget id (expected /widget/{id}, /script/widget/{id} or data-jv-id)");
    else if (!WIDGET_ID_RE.test(id)) violation("loader", "widget id " + describe(id) + " does not look like a Jivo widget id");
    state.widget_id = id || null;
    window.jivo_config = { widget_id: state.widget_id };
    window.jivo_api = jivoApi;
    Object.keys(globalsImpl).forEach(function (name) {
      var spec = CATALOG.globals[name];
      window[name] = function () {
        return record(name + "()", name, arguments, spec, globalsImpl[name]);
      };
    });
    startInit();
  };

  /** Fires a Jivo callback as the widget would: fire("jivo_onCallEnd", {result: "ok"}). */
  mock.fire = function (name) {
    fire(name, Array.prototype.slice.call(arguments, 1));
  };

  /** The widget's state as plain data. */
  mock.state = function () {
    return snapshot(state);
  };

  mock.visitorIntroduces = function (contact) {
    requireReady("introduce the visitor");
    contact = contact || {};
    CONTACT_KEYS.forEach(function (key) {
      if (contact[key] !== undefined && contact[key] !== null) state.contact[key] = String(contact[key]);
    });
    fire("jivo_onIntroduction");
  };

  mock.visitorSendsMessage = function (text) {
    requireReady("send a visitor message");
    if (!state.open) setOpen(true, "chat");
    var first = !state.messages.some(function (m) { return m.from === "visitor"; });
    state.messages.push({ from: "visitor", text: String(text) });
    state.chat_started = true;
    if (first) {
      fire("jivo_onMessageSent");
      if (!state.invitation) fire("jivo_onClientStartChat");
    }
  };

  mock.visitorOpensChat = function () {
    requireReady("open the chat");
    setOpen(true, "chat");
  };

  mock.visitorClosesChat = function () {
    requireReady("close the chat");
    setOpen(false);
  };

  mock.agentAccepts = function () {
    requireReady("accept the chat");
    state.chat_started = true;
    fire("jivo_onAccept");
  };

  mock.agentSendsMessage = function (text) {
    requireReady("send an agent message");
    state.messages.push({ from: "agent", text: String(text) });
    state.chat_started = true;
    if (!state.open) state.unread += 1;
    renderElement();
    fire("jivo_onMessageReceived");
  };

  /** The visitor's call (started by startCall or the call form) ends: jivo_onCallEnd ok. */
  mock.callEnds = function () {
    requireReady("end a call");
    if (!state.call) throw new Error("jivo mock: no call in progress (startCall first)");
    state.call = null;
    fire("jivo_onCallEnd", [{ result: "ok" }]);
  };

  /** getVisitorNumber calls back cb(error, null) while error is a string; null: the number. */
  mock.setVisitorNumberError = function (error) {
    if (error !== null && typeof error !== "string") {
      throw new Error("jivo mock: the visitor number error must be a string or null, got " + describe(error));
    }
    state.visitor_number_error = error;
  };

  mock.setChatMode = function (mode) {
    if (mode !== "online" && mode !== "offline") {
      throw new Error("jivo mock: chat mode must be online or offline, got " + describe(mode));
    }
    state.chat_mode = mode;
    renderElement();
  };

  mock.setCallbacksEnabled = function (enabled) {
    state.callbacks_enabled = !!enabled;
  };

  window.__jivoMock = mock;
})();
