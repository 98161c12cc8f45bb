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
 * Everything is recorded in order (calls, fired callbacks, violations), with arguments
 * JSON-round-tripped (functions become "[function]"), and each record is also dispatched as a
 * CustomEvent "jivo-mock" on window so a page can show them live.
 *
 * Tamper-proof: the page under test must not be able to talk the mock out of failing a test.
 *   - The records live in this closure. Reads hand out copies; the dispatched events carry
 *     copies. window.__jivoMock is a frozen, non-writable, non-configurable property.
 *   - The catalog and the options are copied when the mock is installed: changing
 *     window.__JIVO_CATALOG__ afterwards changes nothing.
 *   - Every built-in the mock relies on (JSON, Object.keys, Array.isArray, RegExp test, URL,
 *     setTimeout, dispatchEvent, reportError, the Playwright report binding...) is captured when
 *     the mock is installed, before any page script runs; the mock's loops are its own, so a
 *     page that replaces Array.prototype.forEach or RegExp.prototype.test changes nothing.
 *   - window.jivo_api, jivo_init and jivo_destroy are non-configurable; assigning them, or
 *     assigning, redefining or deleting a jivo_api method, is refused and recorded as a
 *     violation. Jivo does not document whether its own jivo_api is writable; the
 *     mock takes the safer side, since a replaced method could no longer be checked.
 *   - Uncaught errors that the page hides (window.onerror returning true, preventDefault() on
 *     "error" or "unhandledrejection") never reach the browser's console or Playwright; the
 *     mock's own listener, installed first, records them as page errors.
 * The visible label is plain DOM and not protected: it is cosmetic.
 *
 * The file is idempotent: the pytest plugin installs it as an init script and the routed loader
 * may carry it again; the second copy is a no-op.
 *
 * window.__jivoMock (the documented page-side API; the Python JivoMock wraps it):
 *   log, calls, callbacks, violations, pageErrors   copies of the ordered records (see below)
 *   loaded: bool; loaderRuns: number
 *   state()                              the widget's state as plain data
 *   fire(name, ...args)                  fire a jivo_on* callback as the widget would
 *   visitorIntroduces({name, email, phone, description}), visitorSendsMessage(text),
 *   visitorOpensChat(), visitorClosesChat(), agentAccepts(), agentSendsMessage(text),
 *   callEnds(), setChatMode("online"|"offline"), setCallbacksEnabled(bool),
 *   setVisitorNumberError(str|null)
 *   boot({widget_id}, currentScript)     what a loader URL runs
 *   read(kind) / count(kind, name) / perform(action, argsJson)   for the Python side (JSON text)
 * Records: {kind: "call", seq, name, args, result} | {kind: "callback", seq, name, args, handled}
 *        | {kind: "violation", seq, id, name, message} | {kind: "page_error", seq, id, message};
 * event "jivo-mock" carries a copy of one as detail.
 */
(function () {
  "use strict";
  if (window.__jivoMock) return;

  // ---------------------------------------------------------------- captured built-ins
  // Looked up once, now, before any page script can replace them.

  var G = window;
  var apply = Reflect.apply;
  var reflectGet = Reflect.get;
  var defineProperty = Object.defineProperty;
  var getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  var getOwnPropertyNames = Object.getOwnPropertyNames;
  var getPrototypeOf = Object.getPrototypeOf;
  var objectKeys = Object.keys;
  var freeze = Object.freeze;
  var createObject = Object.create;
  var isArray = Array.isArray;
  var hasOwnProperty = Object.prototype.hasOwnProperty;
  var jsonStringify = JSON.stringify;
  var jsonParse = JSON.parse;
  var regExpTest = RegExp.prototype.test;
  var stringSlice = String.prototype.slice;
  var stringLower = String.prototype.toLowerCase;
  var toText = String;
  var isInteger = Number.isInteger;
  var isFiniteNumber = Number.isFinite;
  var ProxyCtor = Proxy;
  var ErrorCtor = Error;
  var TypeErrorCtor = TypeError;
  var objectProto = Object.prototype;
  var arrayProto = Array.prototype;
  // Boxed primitives serialise as their value, as in JSON.
  var BOXED = [
    [String.prototype, String.prototype.valueOf],
    [Number.prototype, Number.prototype.valueOf],
    [Boolean.prototype, Boolean.prototype.valueOf],
  ];
  var RegExpCtor = RegExp;
  var URLCtor = URL;
  var urlProtocol = getOwnPropertyDescriptor(URL.prototype, "protocol").get;
  var URLSearchParamsCtor = URLSearchParams;
  var searchParamsGet = URLSearchParams.prototype.get;
  var location = G.location; // [LegacyUnforgeable]: the page cannot replace it
  var dateNow = Date.now;
  var mathRandom = Math.random;
  var numberToString = Number.prototype.toString;
  var setTimer = G.setTimeout;
  var CustomEventCtor = CustomEvent;
  var addListener = EventTarget.prototype.addEventListener;
  var dispatch = EventTarget.prototype.dispatchEvent;
  var eventDefaultPrevented = getOwnPropertyDescriptor(Event.prototype, "defaultPrevented").get;
  var errorEventProto = ErrorEvent.prototype;
  var errorEventError = getOwnPropertyDescriptor(errorEventProto, "error").get;
  var errorEventMessage = getOwnPropertyDescriptor(errorEventProto, "message").get;
  var rejectionReason = getOwnPropertyDescriptor(PromiseRejectionEvent.prototype, "reason").get;
  var documentReadyState = getOwnPropertyDescriptor(Document.prototype, "readyState").get;
  var nativeReportError = typeof G.reportError === "function" ? G.reportError : null;
  // The Playwright binding (installed before init scripts) that keeps records of this document
  // after the page navigates; absent outside the pytest plugin.
  var reportBinding = typeof G.__jivoMockReport === "function" ? G.__jivoMockReport : null;
  var storage = null;
  try { storage = G.localStorage; } catch (e) { /* opaque origin: no storage */ }
  var storageGet = typeof Storage === "function" ? Storage.prototype.getItem : null;
  var storageSet = typeof Storage === "function" ? Storage.prototype.setItem : null;

  function hasOwn(object, key) { return apply(hasOwnProperty, object, [key]); }
  function later(fn) { apply(setTimer, G, [fn, 0]); }
  function matches(re, text) { return apply(regExpTest, re, [text]); }
  function defineData(object, key, value) {
    defineProperty(object, key, { value: value, writable: true, enumerable: true, configurable: true });
  }
  function append(list, item) { defineData(list, list.length, item); }
  function each(list, fn) { for (var i = 0; i < list.length; i++) fn(list[i], i); }
  function contains(list, item) {
    for (var i = 0; i < list.length; i++) if (list[i] === item) return true;
    return false;
  }
  function joinList(list, separator) {
    var text = "";
    for (var i = 0; i < list.length; i++) text += (i ? separator : "") + list[i];
    return text;
  }
  function argList(args, from) {
    var list = [];
    for (var i = from || 0; i < args.length; i++) append(list, args[i]);
    return list;
  }

  /** JSON text of plain data (records, state), without consulting any toJSON a page defined. */
  function toJson(value) {
    if (value === null || typeof value !== "object") {
      var text = jsonStringify(value);
      return text === undefined ? "null" : text;
    }
    var parts = [];
    if (isArray(value)) {
      for (var i = 0; i < value.length; i++) append(parts, toJson(value[i]));
      return "[" + joinList(parts, ",") + "]";
    }
    var names = objectKeys(value);
    for (var j = 0; j < names.length; j++) {
      if (value[names[j]] !== undefined) {
        append(parts, jsonStringify(names[j]) + ":" + toJson(value[names[j]]));
      }
    }
    return "{" + joinList(parts, ",") + "}";
  }

  /** A deep copy of plain data: what the page and the Python side receive. */
  function copy(value) { return jsonParse(toJson(value)); }

  function deepFreeze(value) {
    if (value !== null && typeof value === "object") {
      each(objectKeys(value), function (key) { deepFreeze(value[key]); });
      freeze(value);
    }
    return value;
  }

  // ---------------------------------------------------------------- catalog and options

  if (!G.__JIVO_CATALOG__) throw new ErrorCtor("jivo mock: window.__JIVO_CATALOG__ is missing");
  // Private copies: the page may change the globals afterwards, the mock does not follow.
  var CATALOG = deepFreeze(jsonParse(jsonStringify(G.__JIVO_CATALOG__)));
  var OPTIONS = deepFreeze(jsonParse(jsonStringify(G.__JIVO_MOCK_OPTIONS__ || {})));
  var LIMITS = CATALOG.limits;
  var EVENT_NAME = "jivo-mock";
  // Distinguishes records of this document from those of earlier documents reported to Python.
  var DOC_ID = apply(stringSlice, apply(numberToString, mathRandom(), [36]), [2, 10]);
  // Patterns and field lists come from the catalog (unanchored there: anchored here).
  function fullMatch(pattern) { return new RegExpCtor("^(?:" + pattern + ")$"); }
  var WIDGET_ID_RE = fullMatch(CATALOG.patterns.widget_id);
  var COLOR_RE = fullMatch(CATALOG.patterns.color);
  var CONTACT_KEYS = CATALOG.fields.contact;
  var OFFLINE_KEYS = CATALOG.fields.offline_message;
  var CUSTOM_FIELD_KEYS = CATALOG.fields.custom_data;
  var UTM_KEYS = CATALOG.fields.utm;
  var HOUR_MS = 3600 * 1000;

  function emptyContact() {
    var contact = {};
    each(CONTACT_KEYS, function (key) { defineData(contact, key, null); });
    return contact;
  }

  // ---------------------------------------------------------------- records (private)

  var seq = 0;
  var records = { log: [], calls: [], callbacks: [], violations: [], pageErrors: [], csp: [] };
  var unimplemented = [];
  var loaded = false;
  var loaderRuns = 0;

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

  /**
   * The page's own data as plain JSON data, as JSON.stringify + JSON.parse would give it
   * (functions become "[function]"), but with the mock's captured built-ins: a toJSON the page
   * put on Object.prototype or Array.prototype is pollution, not data, and is ignored.
   */
  function snapshot(value) {
    try {
      var result = plain(value, "", []);
      return result === undefined ? null : result;
    } catch (e) {
      return "[unserializable: " + toText(e && e.message) + "]";
    }
  }

  function ownToJSON(value) {
    for (var o = value; o !== null; o = getPrototypeOf(o)) {
      if (o === objectProto || o === arrayProto) return null;
      var found = getOwnPropertyDescriptor(o, "toJSON");
      if (found) {
        var fn = found.get ? apply(found.get, value, []) : found.value;
        return typeof fn === "function" ? fn : null;
      }
    }
    return null;
  }

  function plain(value, key, stack) {
    if (value !== null && typeof value === "object") {
      var toJSON = ownToJSON(value);
      if (toJSON) value = apply(toJSON, value, [key]);
    }
    if (typeof value === "function") return "[function]";
    if (value === null || typeof value === "boolean" || typeof value === "string") return value;
    if (typeof value === "number") return isFiniteNumber(value) ? value : null;
    if (typeof value === "bigint") throw new TypeErrorCtor("a BigInt cannot be serialized");
    if (typeof value !== "object") return undefined; // undefined, symbols
    var proto = getPrototypeOf(value);
    for (var b = 0; b < BOXED.length; b++) {
      if (proto === BOXED[b][0]) return apply(BOXED[b][1], value, []);
    }
    if (contains(stack, value)) throw new TypeErrorCtor("a cyclic structure cannot be serialized");
    append(stack, value);
    var out;
    if (isArray(value)) {
      out = [];
      for (var i = 0; i < value.length; i++) {
        var item = plain(value[i], toText(i), stack);
        append(out, item === undefined ? null : item);
      }
    } else {
      out = {};
      var names = objectKeys(value);
      for (var j = 0; j < names.length; j++) {
        var v = plain(value[names[j]], names[j], stack);
        if (v !== undefined) defineData(out, names[j], v);
      }
    }
    stack.length -= 1;
    return out;
  }

  function nextSeq() { return ++seq; }

  function emit(record, list) {
    append(list, record);
    append(records.log, record);
    try {
      apply(dispatch, G, [new CustomEventCtor(EVENT_NAME, { detail: copy(record) })]);
    } catch (e) {
      rethrow(e);
    }
    return record;
  }

  /** Sends a record to the Python side, which keeps it after the page navigates. */
  function report(record) {
    if (!reportBinding) return;
    try {
      var pending = apply(reportBinding, G, [toJson(record)]);
      if (pending && typeof pending.then === "function") pending.then(null, function () {});
    } catch (e) { /* best-effort: the in-page record stays authoritative for this document */ }
  }

  function rethrow(error) {
    // Rethrow outside our stack so the page (and Playwright's pageerror) sees it, while the
    // widget itself keeps working, as a real third-party script would.
    if (nativeReportError) apply(nativeReportError, G, [error]);
    else later(function () { throw error; });
  }

  function violation(name, message) {
    var n = nextSeq();
    var record = emit(
      { kind: "violation", seq: n, id: DOC_ID + ":" + n, name: name, message: name + ": " + message },
      records.violations
    );
    report(record);
    return record;
  }

  // ---------------------------------------------------------------- misspelt callbacks
  // Jivo calls only its documented jivo_on* globals. The glue checks nothing but the "jivo_on"
  // prefix (the list of names would cost every page bytes), so a misspelt one, a page's
  // `window.jivo_onIntroduce = fn` or `jivoWidget.on("jivo_onOpne", fn)` (which makes the glue
  // own that global), is a handler that silently never runs. Any such own global of the
  // window, a plain function or the glue's accessor, is a violation naming the nearest real
  // callback. Checked when the widget loads and whenever records are read (as the strict
  // teardown does, last); descriptors are read without calling any getter.

  var misspeltSeen = createObject(null);

  /** Edit distance (insertions, deletions, substitutions), case-insensitive. */
  function distance(a, b) {
    a = apply(stringLower, a, []);
    b = apply(stringLower, b, []);
    var previous = [];
    for (var j = 0; j <= b.length; j++) defineData(previous, j, j);
    for (var i = 1; i <= a.length; i++) {
      var current = [];
      defineData(current, 0, i);
      for (var k = 1; k <= b.length; k++) {
        var best = previous[k - 1] + (a[i - 1] === b[k - 1] ? 0 : 1);
        if (previous[k] + 1 < best) best = previous[k] + 1;
        if (current[k - 1] + 1 < best) best = current[k - 1] + 1;
        defineData(current, k, best);
      }
      previous = current;
    }
    return previous[b.length];
  }

  function nearestCallback(name) {
    var nearest = null, nearestDistance = 0;
    each(objectKeys(CATALOG.callbacks), function (real) {
      var d = distance(name, real);
      if (nearest === null || d < nearestDistance) { nearest = real; nearestDistance = d; }
    });
    return nearest;
  }

  function checkCallbackNames() {
    var names;
    try { names = getOwnPropertyNames(G); } catch (e) { return; }
    each(names, function (name) {
      if (misspeltSeen[name] || apply(stringSlice, name, [0, 7]) !== "jivo_on") return;
      if (hasOwn(CATALOG.callbacks, name)) return;
      var descriptor = getOwnPropertyDescriptor(G, name);
      if (!descriptor) return;
      // Own keys only: a page's Object.prototype.get or .value must not count.
      var accessor = hasOwn(descriptor, "get") && typeof descriptor.get === "function";
      var fn = hasOwn(descriptor, "value") && typeof descriptor.value === "function";
      if (!accessor && !fn) return;
      misspeltSeen[name] = true;
      violation("window." + name, "not a Jivo callback, so Jivo never calls it (did you mean " +
        nearestCallback(name) + "?)");
    });
  }

  function fire(name, args) {
    if (!hasOwn(CATALOG.callbacks, name)) {
      throw new ErrorCtor("jivo mock: " + name + " is not a Jivo callback");
    }
    args = args || [];
    var handler = G[name];
    var handled = typeof handler === "function";
    emit({ kind: "callback", seq: nextSeq(), name: name, args: snapshot(args), handled: handled },
      records.callbacks);
    if (handled) {
      try {
        apply(handler, G, args);
      } catch (e) {
        rethrow(e);
      }
    }
  }

  // ---------------------------------------------------------------- errors the page hides

  function describeError(value) {
    if (value !== null && (typeof value === "object" || typeof value === "function")) {
      try {
        var name = value.name, message = value.message;
        if (typeof message === "string") return (typeof name === "string" ? name : "Error") + ": " + message;
      } catch (e) { /* a hostile error object: fall through */ }
    }
    try { return toText(value); } catch (e) { return "[unprintable error]"; }
  }

  function pageError(message) {
    var n = nextSeq();
    report(emit({ kind: "page_error", seq: n, id: DOC_ID + ":" + n, message: message }, records.pageErrors));
  }

  // Installed before any page script, so these listeners run first. A page that cancels the
  // event keeps the error from the console and from Playwright; whether it did is known once
  // the dispatch is over: in a later task, or when the Python side reads the page errors.
  var pendingUncaught = [];
  function flushUncaught() {
    var pending = pendingUncaught;
    pendingUncaught = [];
    each(pending, function (item) {
      if (apply(eventDefaultPrevented, item.event, [])) {
        pageError(item.describe(item.event) + " (hidden from the browser: the page cancelled the " +
          item.type + " event, e.g. window.onerror returned true or preventDefault() was called)");
      }
    });
  }
  function watchUncaught(type, describe) {
    apply(addListener, G, [type, function (event) {
      if (type === "error" && getPrototypeOf(event) !== errorEventProto) return; // a resource error
      append(pendingUncaught, { event: event, type: type, describe: describe });
      later(flushUncaught);
    }, true]);
  }
  watchUncaught("error", function (event) {
    var error = apply(errorEventError, event, []);
    return error === undefined || error === null ? toText(apply(errorEventMessage, event, [])) : describeError(error);
  });
  watchUncaught("unhandledrejection", function (event) {
    return describeError(apply(rejectionReason, event, []));
  });

  // Content Security Policy violations, for the "why did the widget not load" diagnosis.
  apply(addListener, G, ["securitypolicyviolation", function (event) {
    try {
      append(records.csp, {
        directive: toText(event.effectiveDirective || event.violatedDirective),
        blocked: toText(event.blockedURI),
        disposition: toText(event.disposition),
        source: event.sourceFile ? toText(event.sourceFile) + ":" + toText(event.lineNumber) : null,
      });
    } catch (e) { /* diagnostics only */ }
  }, true]);

  // ---------------------------------------------------------------- argument checks

  function describe(value) {
    if (value === null) return "null";
    if (isArray(value)) return "array";
    if (typeof value === "number" && !isInteger(value)) return "number " + value;
    if (typeof value === "string") return "string " + jsonStringify(apply(stringSlice, value, [0, 40]));
    return typeof value;
  }

  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !isArray(value);
  }

  function typeMatches(type, value) {
    switch (type) {
      case "any": return true;
      case "string": return typeof value === "string";
      case "number": return typeof value === "number" && isFiniteNumber(value);
      case "integer": return typeof value === "number" && isInteger(value);
      case "boolean": return typeof value === "boolean";
      case "function": return typeof value === "function";
      case "array": return isArray(value);
      case "object": return isPlainObject(value);
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
    each(objectKeys(obj), function (key) {
      if (!contains(allowed, key)) {
        var hint = key === "client_name" ? " (setContactInfo takes `name`; `client_name` is what getContactInfo returns)" : "";
        violation(label, "unknown " + what + " key " + jsonStringify(key) + hint);
      }
    });
  }

  function checkStringValues(label, obj, keys) {
    each(keys, function (key) {
      var v = obj[key];
      if (v !== undefined && v !== null && typeof v !== "string") {
        violation(label, key + " must be a string, got " + describe(v));
      }
    });
  }

  function isHttpUrl(text) {
    try {
      var protocol = apply(urlProtocol, new URLCtor(text), []);
      return protocol === "http:" || protocol === "https:";
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
      throw new ErrorCtor("jivo mock: cannot " + action + ": the widget is " + state.status +
        " (wait for jivo_onLoadCallback)");
    }
  }

  function emptyToNull(value) {
    return value === undefined || value === null || value === "" ? null : value;
  }

  function readUtm() {
    var utm = {};
    if (isPlainObject(OPTIONS.utm)) {
      each(UTM_KEYS, function (k) {
        defineData(utm, k, emptyToNull(hasOwn(OPTIONS.utm, k) ? OPTIONS.utm[k] : null));
      });
      return utm;
    }
    var params = new URLSearchParamsCtor(location.search);
    each(UTM_KEYS, function (k) { defineData(utm, k, emptyToNull(apply(searchParamsGet, params, ["utm_" + k]))); });
    return utm;
  }

  // localStorage keeps the per-visitor hourly count across page views, as Jivo counts it.
  var memoryAttributeCalls = [];
  function attributeCallTimes() {
    var key = "__jivo_mock_client_attributes:" + state.widget_id;
    var now = dateNow();
    var stored = memoryAttributeCalls;
    try {
      if (storage) stored = jsonParse(apply(storageGet, storage, [key]) || "[]");
    } catch (e) { /* storage unavailable (opaque origin): per-page count */ }
    var times = [];
    if (isArray(stored)) {
      each(stored, function (t) { if (typeof t === "number" && now - t < HOUR_MS) append(times, t); });
    }
    return {
      times: times,
      save: function (list) {
        memoryAttributeCalls = list;
        try { if (storage) apply(storageSet, storage, [key, jsonStringify(list)]); } catch (e) { /* see above */ }
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
  // Each method answers any arguments itself: the documented failure shape where Jivo has one,
  // nothing (and no state change) otherwise. Argument violations are recorded before.

  function ok() { return { result: "ok" }; }

  var impl = {
    open: function (params) {
      var start = "chat";
      if (params !== undefined && params !== null) {
        if (!isPlainObject(params)) return { result: "fail" };
        var requested = params.start;
        if (requested !== undefined) {
          if (!contains(CATALOG.open_start_values, requested)) {
            violation("jivo_api.open()", "start must be one of " + joinList(CATALOG.open_start_values, ", ") +
              ", got " + describe(requested));
            return { result: "fail" };
          }
          start = requested;
        }
      }
      if (state.status === "destroyed") return { result: "fail" };
      if (start === "call" && !state.callbacks_enabled) return { result: "fail" };
      setOpen(true, start);
      return ok();
    },
    close: function () {
      if (state.status === "destroyed") return { result: "fail" };
      setOpen(false);
      return ok();
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
      if (typeof color !== "string") return undefined;
      if (!matches(COLOR_RE, color)) {
        violation(label, "color must be #rrggbb, got " + describe(color));
      }
      if (typeof color2 === "string" && !matches(COLOR_RE, color2)) {
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
      else if (typeof phone !== "string" || !matches(/\d/, phone)) failure = "invalid phone number";
      if (failure) {
        fire("jivo_onCallEnd", [{ result: "fail", reason: failure }]);
        return { result: "fail", reason: failure };
      }
      state.call = { phone: phone };
      fire("jivo_onCallStart");
      return ok();
    },
    sendOfflineMessage: function (message) {
      var label = "jivo_api.sendOfflineMessage()";
      if (!isPlainObject(message)) return { result: "fail", error: "message object required" };
      checkKeys(label, message, OFFLINE_KEYS, "offline message");
      checkStringValues(label, message, OFFLINE_KEYS);
      if (state.chat_mode === "online") {
        return { result: "fail", error: "agents are online; offline messages are accepted only offline" };
      }
      if (typeof message.message !== "string" || message.message === "") {
        return { result: "fail", error: "message is required" };
      }
      return ok();
    },
    sendPageTitle: function (title, fromApi, url) {
      if (typeof title === "string") state.page_title = { title: title, url: url === undefined ? null : url };
      return undefined;
    },
    setContactInfo: function (info) {
      var label = "jivo_api.setContactInfo()";
      if (!isPlainObject(info)) return undefined;
      checkKeys(label, info, CONTACT_KEYS, "contact");
      checkStringValues(label, info, CONTACT_KEYS);
      each(CONTACT_KEYS, function (key) {
        if (typeof info[key] === "string") state.contact[key] = info[key];
      });
      return undefined;
    },
    setClientAttributes: function (attributes) {
      var label = "jivo_api.setClientAttributes()";
      if (!isPlainObject(attributes)) return undefined;
      var max = LIMITS.client_attributes_max_calls_per_hour;
      var counter = attributeCallTimes();
      if (counter.times.length >= max) {
        violation(label, "called " + (counter.times.length + 1) + " times within an hour for this visitor; " +
          "Jivo allows at most " + max + " (the call was rejected)");
        return undefined;
      }
      append(counter.times, dateNow());
      counter.save(counter.times);
      each(objectKeys(attributes), function (key) {
        var v = attributes[key];
        if (typeof v !== "string" && !(typeof v === "number" && isFiniteNumber(v))) {
          violation(label, "attribute " + jsonStringify(key) + " must be a string or a number, got " + describe(v));
        } else {
          defineData(state.client_attributes, key, v);
        }
      });
      return undefined;
    },
    setCustomData: function (fields) {
      var label = "jivo_api.setCustomData()";
      // Jivo's documented answer for a non-array (the argument violation is recorded before).
      if (!isArray(fields)) return { result: "fail", reason: CATALOG.reasons.custom_data_not_array };
      var max = LIMITS.custom_data_max_fields;
      if (fields.length > max) {
        violation(label, fields.length + " fields; Jivo accepts at most " + max + " (the call was rejected)");
        return { result: "fail", reason: "Custom data must have at most " + max + " fields." };
      }
      var valid = true;
      each(fields, function (field, i) {
        var where = "field " + i;
        if (!isPlainObject(field)) {
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
      if (!valid) return { result: "fail", reason: "Custom data fields are invalid." };
      state.custom_data = snapshot(fields);
      return ok();
    },
    setUserToken: function (token) {
      if (typeof token === "string") {
        if (token === "") violation("jivo_api.setUserToken()", "the token is empty");
        state.user_token = token;
      }
      return undefined;
    },
    setRules: function (rules) {
      if (isPlainObject(rules)) state.rules = snapshot(rules);
      return undefined;
    },
    getContactInfo: function () {
      // The catalog pairs what setContactInfo takes with what this returns, position by
      // position (name -> client_name).
      var info = {};
      each(CATALOG.fields.contact_info_result, function (key, i) {
        defineData(info, key, emptyToNull(state.contact[CONTACT_KEYS[i]]));
      });
      return info;
    },
    getVisitorNumber: function (callback) {
      if (typeof callback !== "function") return undefined;
      var error = state.visitor_number_error;
      var number = error === null ? state.visitor_number : null;
      later(function () {
        try { apply(callback, undefined, [error, number]); } catch (e) { rethrow(e); }
      });
      return undefined;
    },
    getUnreadMessagesCount: function () {
      return state.unread;
    },
    getUtm: function () {
      return copy(state.utm || readUtm());
    },
    isCallbackEnabled: function (callback) {
      if (typeof callback !== "function") return undefined;
      var res = state.callbacks_enabled
        ? ok()
        : { result: "fail", reason: "callbacks are disabled for this widget" };
      later(function () {
        try { apply(callback, undefined, [res]); } catch (e) { rethrow(e); }
      });
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
      loaded = false;
      renderElement();
      fire("jivo_onWidgetDestroy");
      return undefined;
    },
  };

  function record(label, name, args, spec, body) {
    var list = argList(args);
    var entry = emit({ kind: "call", seq: nextSeq(), name: name, args: snapshot(list), result: null },
      records.calls);
    // jivo_init / jivo_destroy are page-level switches, usable whenever the loader has run.
    var isGlobal = !!spec && spec.scope === "window";
    if (state.status === "loading" && !isGlobal) {
      violation(label, "called before jivo_onLoadCallback fired (Jivo's API is usable only from then on)");
    } else if (state.status === "destroyed" && !isGlobal) {
      violation(label, "called while the widget is destroyed (call jivo_init() first)");
    }
    if (spec) checkArgs(label, spec, list);
    var result = body ? apply(body, null, list) : undefined;
    entry.result = result === undefined ? null : snapshot(result);
    return result;
  }

  function wrapMethod(name) {
    var spec = CATALOG.methods[name];
    var body = hasOwn(impl, name) ? impl[name] : null;
    if (!body) append(unimplemented, name);
    return function () {
      return record("jivo_api." + name + "()", name, arguments, spec, body);
    };
  }

  var api = {};
  each(objectKeys(CATALOG.methods), function (name) {
    defineData(api, name, wrapMethod(name));
  });
  each(objectKeys(CATALOG.globals), function (name) {
    if (!hasOwn(globalsImpl, name)) append(unimplemented, name);
  });

  var unknownMethods = createObject(null);
  function unknownMethod(name) {
    if (!unknownMethods[name]) {
      unknownMethods[name] = function () {
        var label = "jivo_api." + name + "()";
        var message = contains(CATALOG.undocumented, name)
          ? "undocumented (seen in the wild, not in Jivo's docs); do not call it"
          : "not a Jivo method";
        emit({ kind: "call", seq: nextSeq(), name: name, args: snapshot(argList(arguments)), result: null },
          records.calls);
        violation(label, message);
        return undefined;
      };
    }
    return unknownMethods[name];
  }

  var KEEP = "so that every call is still checked and recorded";
  function tampered(prop, how) {
    var name = typeof prop === "string" ? prop : toText(prop);
    if (hasOwn(api, name)) {
      violation("jivo_api." + name, "page code tried to " + how + "; the mock keeps Jivo's method " + KEEP);
    } else {
      violation("jivo_api." + name, "page code tried to " + how + " on Jivo's API object; the mock ignores it");
    }
  }

  // Unknown names, Object.prototype's methods included (hasOwnProperty, valueOf, toString...),
  // are recorded instead of throwing, so a test sees every misuse at once. What the language
  // itself probes stays as on a plain object: symbols (Symbol.toPrimitive...), "then" (promise
  // resolution), "toJSON" (JSON.stringify) and "__proto__".
  var jivoApi = new ProxyCtor(api, {
    get: function (target, prop) {
      if (typeof prop !== "string" || prop === "then" || prop === "toJSON" || prop === "__proto__") {
        return reflectGet(target, prop);
      }
      if (hasOwn(target, prop)) return target[prop];
      return unknownMethod(prop);
    },
    set: function (target, prop) {
      tampered(prop, hasOwn(target, prop) ? "replace it (assignment)" : "add it (assignment)");
      return true; // refused, without breaking the page's script; the violation fails the test
    },
    defineProperty: function (target, prop) {
      tampered(prop, hasOwn(target, prop) ? "replace it (defineProperty)" : "add it (defineProperty)");
      return false;
    },
    deleteProperty: function (target, prop) {
      tampered(prop, "delete it");
      return false;
    },
    setPrototypeOf: function () {
      violation("jivo_api", "page code tried to change its prototype; the mock keeps it");
      return false;
    },
    preventExtensions: function () {
      violation("jivo_api", "page code tried to freeze or seal it; the mock keeps it open");
      return false;
    },
  });

  /** window[name] = value, non-configurable; assignments are refused and recorded. */
  function lockGlobal(name, value, what) {
    try {
      defineProperty(G, name, {
        configurable: false,
        enumerable: true,
        get: function () { return value; },
        set: function () {
          violation("window." + name, "page code tried to replace it; the mock keeps Jivo's " + what + " " + KEEP);
        },
      });
    } catch (e) {
      // The page declared it first as a non-configurable global (`var jivo_api;`): assign, as
      // Jivo's own loader does.
      G[name] = value;
    }
  }

  function startInit() {
    state.status = "loading";
    // Jivo initialises asynchronously (it still fetches its bundle): jivo_onLoadCallback comes
    // after a task and, for a loader met while parsing, after the document is parsed, never
    // inside the loader's own execution. Scripts after the loader therefore see no load yet.
    afterParsing(function () {
      if (state.status !== "loading") return;
      state.status = "ready";
      if (!state.utm) state.utm = readUtm();
      loaded = true;
      renderElement();
      checkCallbackNames();
      fire("jivo_onLoadCallback");
    });
  }

  function afterParsing(fn) {
    if (apply(documentReadyState, document, []) === "loading") {
      apply(addListener, document, ["DOMContentLoaded", function () { later(fn); }, { once: true }]);
    } else {
      later(fn);
    }
  }

  // ---------------------------------------------------------------- public mock API

  var mock = {};
  function getter(name, read) {
    defineProperty(mock, name, { get: read, enumerable: true, configurable: false });
  }
  function method(name, fn) {
    defineProperty(mock, name, { value: fn, enumerable: true, writable: false, configurable: false });
  }

  /** Copies of the records: the page may do what it likes with them. */
  getter("log", function () { checkCallbackNames(); return copy(records.log); });
  getter("calls", function () { return copy(records.calls); });
  getter("callbacks", function () { return copy(records.callbacks); });
  getter("violations", function () { checkCallbackNames(); return copy(records.violations); });
  getter("pageErrors", function () { flushUncaught(); return copy(records.pageErrors); });
  /** Catalog methods the mock has no behaviour for (a defect of the mock; must stay empty). */
  getter("unimplemented", function () { return copy(unimplemented); });
  /** True from the moment jivo_onLoadCallback fires until jivo_destroy(). */
  getter("loaded", function () { return loaded; });
  /** How many times a loader ran on this page. */
  getter("loaderRuns", function () { return loaderRuns; });
  method("eventName", EVENT_NAME);

  /** Runs the widget as a loader would. `info.widget_id` may be null for widget.js + data-jv-id. */
  method("boot", function (info, script) {
    loaderRuns += 1;
    var id = info && info.widget_id;
    if (!id && script && script.getAttribute) {
      id = script.getAttribute("data-jv-id") || script.getAttribute("jv-id");
    }
    if (loaderRuns > 1) {
      violation("loader", "the Jivo loader ran " + loaderRuns + " times on this page; include it once");
      return;
    }
    if (!id) violation("loader", "no widget id (expected /widget/{id}, /script/widget/{id} or data-jv-id)");
    else if (!matches(WIDGET_ID_RE, id)) violation("loader", "widget id " + describe(id) + " does not look like a Jivo widget id");
    state.widget_id = id || null;
    G.jivo_config = { widget_id: state.widget_id };
    lockGlobal("jivo_api", jivoApi, "API object");
    each(objectKeys(globalsImpl), function (name) {
      var spec = CATALOG.globals[name];
      lockGlobal(name, function () {
        return record(name + "()", name, arguments, spec, globalsImpl[name]);
      }, "function");
    });
    startInit();
  });

  /** Fires a Jivo callback as the widget would: fire("jivo_onCallEnd", {result: "ok"}). */
  method("fire", function (name) {
    fire(name, argList(arguments, 1));
  });

  /** The widget's state as plain data. */
  method("state", function () {
    return copy(state);
  });

  method("visitorIntroduces", function (contact) {
    requireReady("introduce the visitor");
    contact = contact || {};
    each(CONTACT_KEYS, function (key) {
      if (contact[key] !== undefined && contact[key] !== null) state.contact[key] = toText(contact[key]);
    });
    fire("jivo_onIntroduction");
  });

  method("visitorSendsMessage", function (text) {
    requireReady("send a visitor message");
    if (!state.open) setOpen(true, "chat");
    var first = true;
    each(state.messages, function (m) { if (m.from === "visitor") first = false; });
    append(state.messages, { from: "visitor", text: toText(text) });
    state.chat_started = true;
    if (first) {
      fire("jivo_onMessageSent");
      if (!state.invitation) fire("jivo_onClientStartChat");
    }
  });

  method("visitorOpensChat", function () {
    requireReady("open the chat");
    setOpen(true, "chat");
  });

  method("visitorClosesChat", function () {
    requireReady("close the chat");
    setOpen(false);
  });

  method("agentAccepts", function () {
    requireReady("accept the chat");
    state.chat_started = true;
    fire("jivo_onAccept");
  });

  method("agentSendsMessage", function (text) {
    requireReady("send an agent message");
    append(state.messages, { from: "agent", text: toText(text) });
    state.chat_started = true;
    if (!state.open) state.unread += 1;
    renderElement();
    fire("jivo_onMessageReceived");
  });

  /** The visitor's call (started by startCall or the call form) ends: jivo_onCallEnd ok. */
  method("callEnds", function () {
    requireReady("end a call");
    if (!state.call) throw new ErrorCtor("jivo mock: no call in progress (startCall first)");
    state.call = null;
    fire("jivo_onCallEnd", [ok()]);
  });

  /** getVisitorNumber calls back cb(error, null) while error is a string; null: the number. */
  method("setVisitorNumberError", function (error) {
    if (error !== null && typeof error !== "string") {
      throw new ErrorCtor("jivo mock: the visitor number error must be a string or null, got " + describe(error));
    }
    state.visitor_number_error = error;
  });

  method("setChatMode", function (mode) {
    if (mode !== "online" && mode !== "offline") {
      throw new ErrorCtor("jivo mock: chat mode must be online or offline, got " + describe(mode));
    }
    state.chat_mode = mode;
    renderElement();
  });

  method("setCallbacksEnabled", function (enabled) {
    state.callbacks_enabled = !!enabled;
  });

  // ---------------------------------------------------------------- the Python side's entry points

  var READABLE = { log: 1, calls: 1, callbacks: 1, violations: 1, pageErrors: 1, csp: 1 };
  var ACTIONS = [
    "fire", "visitorIntroduces", "visitorSendsMessage", "visitorOpensChat", "visitorClosesChat",
    "agentAccepts", "agentSendsMessage", "callEnds", "setVisitorNumberError", "setChatMode",
    "setCallbacksEnabled",
  ];

  /** JSON text of one record list, of "state", or of "status" (what a diagnosis needs). */
  method("read", function (kind) {
    checkCallbackNames();
    if (kind === "state") return toJson(state);
    if (kind === "status") {
      return toJson({
        status: state.status,
        loaded: loaded,
        loaderRuns: loaderRuns,
        readyState: apply(documentReadyState, document, []),
      });
    }
    if (!hasOwn(READABLE, kind)) throw new ErrorCtor("jivo mock: nothing to read as " + kind);
    if (kind === "pageErrors") flushUncaught();
    return toJson(records[kind]);
  });

  /** How many records of `kind` are named `name` (what the waits poll). */
  method("count", function (kind, name) {
    if (!hasOwn(READABLE, kind)) throw new ErrorCtor("jivo mock: nothing to count as " + kind);
    if (kind === "violations" || kind === "log") checkCallbackNames();
    var n = 0;
    each(records[kind], function (r) { if (r.name === name) n += 1; });
    return n;
  });

  /** Runs an action with arguments given as JSON text, so that every key (even __proto__) arrives. */
  method("perform", function (action, argsJson) {
    if (!contains(ACTIONS, action)) throw new ErrorCtor("jivo mock: unknown action " + action);
    var args = jsonParse(argsJson);
    if (!isArray(args)) throw new ErrorCtor("jivo mock: actions take a JSON array of arguments");
    apply(mock[action], mock, args);
  });

  freeze(mock);
  defineProperty(G, "__jivoMock", { value: mock, writable: false, enumerable: false, configurable: false });
})();
