/*
 * Python's meaning, in plain JavaScript, for compiled callbacks.
 *
 * The lowering step (lower.py) rewrites every Python construct whose JavaScript translation
 * would mean something else (truthiness of [] and {}, ==, +, negative indices, `in`, % on
 * negatives, str(), the list/str/dict methods...) into a call of one of these functions. The
 * linker copies only the functions a module uses (and the ones they use), so a page gets a few
 * hundred bytes, never a runtime; nothing here touches a built-in prototype.
 *
 * Rules for this file: one "@helper" block per function, named _jw_*; every helper is a plain
 * function declaration; errors Python would raise are thrown as Error objects whose `name` is
 * the Python exception's (see _jw_err), so `except KeyError:` matches them.
 *
 * Values: None is null or undefined; str is a JS string counted in code points (as Python
 * does), list is an Array, dict is a plain object with string keys, bool/int/float are
 * booleans and numbers.
 */

// @helper _jw_err
// An Error that Python code can catch by its Python name (`except IndexError:`). The compiler
// passes str(message) for `raise ValueError(message)`.
function _jw_err(kind, message) {
  var error = new Error(message === undefined ? "" : message);
  error.name = kind;
  return error;
}

// @helper _jw_tn
// Python's name for the type of a value, for error messages.
function _jw_tn(x) {
  if (x == null) return "NoneType";
  if (typeof x === "boolean") return "bool";
  if (typeof x === "number") return Number.isInteger(x) ? "int" : "float";
  if (typeof x === "string") return "str";
  if (Array.isArray(x)) return "list";
  if (_jw_isdict(x)) return "dict";
  return typeof x === "function" ? "function" : "object";
}

// @helper _jw_isdict
// A Python dict is a plain object: a literal, JSON.parse output, or a jivo_api result.
function _jw_isdict(x) {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return false;
  var proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

// @helper _jw_has
function _jw_has(d, k) {
  return Object.prototype.hasOwnProperty.call(d, k);
}

// @helper _jw_isnum
// int, float or bool (bool is an int in Python).
function _jw_isnum(x) {
  return typeof x === "number" || typeof x === "boolean";
}

// @helper _jw_bool
// Python truthiness: None, 0, "", [] and {} are false (in JS [] and {} are true, NaN false).
function _jw_bool(x) {
  if (x == null) return false;
  if (typeof x === "number") return x !== 0;
  if (typeof x === "string" || Array.isArray(x)) return x.length > 0;
  if (_jw_isdict(x)) {
    for (var k in x) if (_jw_has(x, k)) return true;
    return false;
  }
  return !!x;
}

// @helper _jw_default
// A parameter's default applies when the argument is missing (undefined), not when it is None.
function _jw_default(value, dflt) {
  return value === undefined ? dflt : value;
}

// @helper _jw_or
// `a or b`: a if a is true in Python's sense, else b (evaluated only then).
function _jw_or(a, b) {
  return _jw_bool(a) ? a : b();
}

// @helper _jw_and
function _jw_and(a, b) {
  return _jw_bool(a) ? b() : a;
}

// @helper _jw_eq
// Python ==: value equality for lists and dicts, True == 1, and None equal only to None.
function _jw_eq(a, b) {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (_jw_isnum(a) && _jw_isnum(b)) return +a === +b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (!_jw_eq(a[i], b[i])) return false;
    return true;
  }
  if (_jw_isdict(a) && _jw_isdict(b)) {
    var keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (var j = 0; j < keys.length; j++) {
      if (!_jw_has(b, keys[j]) || !_jw_eq(a[keys[j]], b[keys[j]])) return false;
    }
    return true;
  }
  return false;
}

// @helper _jw_cps
// A string as an array of code points (Python indexes code points, JS UTF-16 units).
function _jw_cps(s) {
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s.split("");
}

// @helper _jw_cmp
// Python's ordering: -1, 0, 1, or NaN when unordered (NaN), TypeError between unlike types.
function _jw_cmp(a, b, op) {
  if (_jw_isnum(a) && _jw_isnum(b)) {
    a = +a;
    b = +b;
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  }
  if (typeof a === "string" && typeof b === "string") {
    if (a === b) return 0;
    // Code point order, as Python compares; JS compares UTF-16 units.
    var x = _jw_cps(a), y = _jw_cps(b), n = Math.min(x.length, y.length);
    for (var i = 0; i < n; i++) {
      if (x[i] !== y[i]) return x[i].codePointAt(0) < y[i].codePointAt(0) ? -1 : 1;
    }
    return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    var m = Math.min(a.length, b.length);
    for (var j = 0; j < m; j++) {
      if (!_jw_eq(a[j], b[j])) return _jw_cmp(a[j], b[j], op);
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  throw _jw_err("TypeError", "'" + op + "' not supported between instances of '" + _jw_tn(a) +
    "' and '" + _jw_tn(b) + "'");
}

// @helper _jw_optype
function _jw_optype(op, a, b) {
  return _jw_err("TypeError", "unsupported operand type(s) for " + op + ": '" + _jw_tn(a) +
    "' and '" + _jw_tn(b) + "'");
}

// @helper _jw_add
// Python +: numbers, str + str, list + list (a new list); anything else is a TypeError.
function _jw_add(a, b) {
  if (_jw_isnum(a) && _jw_isnum(b)) return +a + +b;
  if (typeof a === "string" && typeof b === "string") return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return a.concat(b);
  throw _jw_optype("+", a, b);
}

// @helper _jw_iadd
// `a += b`: a list is extended in place (other names for it see the change), as in Python.
function _jw_iadd(a, b) {
  if (Array.isArray(a) && !(typeof b === "string" || Array.isArray(b) || _jw_isdict(b))) {
    throw _jw_optype("+=", a, b);
  }
  if (Array.isArray(a)) {
    var items = _jw_iter(b);
    for (var i = 0, n = items.length; i < n; i++) a.push(items[i]);
    return a;
  }
  return _jw_add(a, b);
}

// @helper _jw_sub
function _jw_sub(a, b) {
  if (_jw_isnum(a) && _jw_isnum(b)) return a - b;
  throw _jw_optype("-", a, b);
}

// @helper _jw_neg
function _jw_neg(a) {
  if (_jw_isnum(a)) return -a;
  throw _jw_err("TypeError", "bad operand type for unary -: '" + _jw_tn(a) + "'");
}

// @helper _jw_mul
// Python *: numbers, and str/list repeated an int number of times.
function _jw_mul(a, b) {
  if (_jw_isnum(a) && _jw_isnum(b)) return a * b;
  var seq = typeof a === "string" || Array.isArray(a) ? a : b;
  var times = seq === a ? b : a;
  if ((typeof seq === "string" || Array.isArray(seq)) && _jw_isnum(times) && Number.isInteger(+times)) {
    var out = typeof seq === "string" ? "" : [];
    for (var i = 0; i < times; i++) out = out.concat(seq);
    return out;
  }
  throw _jw_optype("*", a, b);
}

// @helper _jw_divisor
function _jw_divisor(op, a, b) {
  if (!_jw_isnum(a) || !_jw_isnum(b)) throw _jw_optype(op, a, b);
  if (+b === 0) {
    throw _jw_err("ZeroDivisionError", op === "/" ? "division by zero" :
      op === "//" ? "integer division or modulo by zero" : "integer modulo by zero");
  }
  return +b;
}

// @helper _jw_div
function _jw_div(a, b) {
  return a / _jw_divisor("/", a, b);
}

// @helper _jw_floordiv
// Python's floor division, including its float algorithm: 1 // 0.1 is 9.0 (Math.floor(1 / 0.1)
// says 10, because 1 / 0.1 rounds up to exactly 10).
function _jw_floordiv(a, b) {
  b = _jw_divisor("//", a, b);
  a = +a;
  var mod = a % b, div = (a - mod) / b;
  if (mod && (b < 0) !== (mod < 0)) div -= 1;
  if (!div) return 0 * (a / b); // a signed zero, as Python's copysign(0.0, a / b)
  var floor = Math.floor(div);
  return div - floor > 0.5 ? floor + 1 : floor;
}

// @helper _jw_mod
// Python %: the result has the divisor's sign (-7 % 3 == 2); JS keeps the dividend's.
function _jw_mod(a, b) {
  if (typeof a === "string") throw _jw_err("TypeError", "%-formatting is not supported in browser callbacks");
  b = _jw_divisor("%", a, b);
  var r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

// @helper _jw_len
function _jw_len(x) {
  if (typeof x === "string") return /[\uD800-\uDFFF]/.test(x) ? Array.from(x).length : x.length;
  if (Array.isArray(x)) return x.length;
  if (_jw_isdict(x)) return Object.keys(x).length;
  if (x != null && typeof x === "object" && typeof x.length === "number") return x.length;
  throw _jw_err("TypeError", "object of type '" + _jw_tn(x) + "' has no len()");
}

// @helper _jw_index
// A Python index into a sequence of `n` items: negatives count from the end.
function _jw_index(i, n, what) {
  if (typeof i === "boolean") i = +i;
  if (typeof i !== "number" || !Number.isInteger(i)) {
    throw _jw_err("TypeError", what + " indices must be integers, not " + _jw_tn(i));
  }
  var j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw _jw_err("IndexError", what + " index out of range");
  return j;
}

// @helper _jw_getitem
// x[k]: lists and strings by (negative) index, dicts by key (KeyError when missing).
function _jw_getitem(o, k) {
  if (typeof o === "string") {
    var cps = _jw_cps(o);
    return cps[_jw_index(k, cps.length, "string")];
  }
  if (Array.isArray(o)) return o[_jw_index(k, o.length, "list")];
  if (_jw_isdict(o)) {
    if (typeof k === "string" && _jw_has(o, k)) return o[k];
    throw _jw_unhashable(k) || _jw_err("KeyError", _jw_repr(k));
  }
  if (o == null) throw _jw_err("TypeError", "'NoneType' object is not subscriptable");
  if (typeof k === "number" && typeof o.length === "number") return o[_jw_index(k, o.length, "list")];
  return o[k];
}

// @helper _jw_unhashable
// The TypeError Python raises for a list or dict used as a dict key (null when hashable).
function _jw_unhashable(k) {
  return Array.isArray(k) || _jw_isdict(k) ? _jw_err("TypeError", "unhashable type: '" + _jw_tn(k) + "'") : null;
}

// @helper _jw_key
// dict keys are strings here; an integer-like key would be reordered by JS objects.
function _jw_key(k) {
  if (typeof k !== "string") {
    throw _jw_err("TypeError", "dict keys must be str in browser callbacks, got " + _jw_tn(k));
  }
  if (/^(0|[1-9][0-9]*)$/.test(k) && +k < 4294967295) {
    throw _jw_err("TypeError", "dict key " + _jw_repr(k) +
      " looks like an integer: JavaScript would move it ahead of the other keys");
  }
  return k;
}

// @helper _jw_setitem
function _jw_setitem(o, k, v) {
  if (Array.isArray(o)) o[_jw_index(k, o.length, "list assignment")] = v;
  else if (_jw_isdict(o)) o[_jw_key(k)] = v;
  else if (o == null || typeof o !== "object") {
    throw _jw_err("TypeError", "'" + _jw_tn(o) + "' object does not support item assignment");
  } else o[k] = v;
}

// @helper _jw_dict
// A dict from [key, value] pairs (dict literals with computed keys, comprehensions).
function _jw_dict(pairs) {
  var d = {};
  for (var i = 0; i < pairs.length; i++) d[_jw_key(pairs[i][0])] = pairs[i][1];
  return d;
}

// @helper _jw_slice
// x[lo:hi:step] with Python's clamping; a new list or string.
function _jw_slice(o, lo, hi, step) {
  var isStr = typeof o === "string";
  if (!isStr && !Array.isArray(o)) {
    throw _jw_err("TypeError", "'" + _jw_tn(o) + "' object is not subscriptable");
  }
  var items = isStr ? _jw_cps(o) : o, n = items.length;
  step = step == null ? 1 : +step;
  if (step === 0) throw _jw_err("ValueError", "slice step cannot be zero");
  function bound(v, dflt) {
    if (v == null) return dflt;
    v = +v;
    if (v < 0) v = Math.max(v + n, step < 0 ? -1 : 0);
    else v = Math.min(v, step < 0 ? n - 1 : n);
    return v;
  }
  var start = bound(lo, step < 0 ? n - 1 : 0), stop = bound(hi, step < 0 ? -1 : n), out = [];
  for (var i = start; step > 0 ? i < stop : i > stop; i += step) out.push(items[i]);
  return isStr ? out.join("") : out;
}

// @helper _jw_in
// `x in c`: list membership by ==, substring, dict key.
function _jw_in(x, c) {
  if (typeof c === "string") {
    if (typeof x !== "string") {
      throw _jw_err("TypeError", "'in <string>' requires string as left operand, not " + _jw_tn(x));
    }
    return c.indexOf(x) >= 0;
  }
  if (Array.isArray(c)) {
    for (var i = 0; i < c.length; i++) if (_jw_eq(c[i], x)) return true;
    return false;
  }
  if (_jw_isdict(c)) {
    var unhashable = _jw_unhashable(x);
    if (unhashable) throw unhashable;
    return typeof x === "string" && _jw_has(c, x);
  }
  throw _jw_err("TypeError", "argument of type '" + _jw_tn(c) + "' is not iterable");
}

// @helper _jw_iter
// What a for loop walks: a list itself (live, as Python's iterator), a string's code points,
// a dict's keys, or any other JS iterable or array-like (NodeList...).
function _jw_iter(x) {
  if (Array.isArray(x)) return x;
  if (typeof x === "string") return _jw_cps(x);
  if (_jw_isdict(x)) return Object.keys(x);
  if (x != null && typeof x === "object") {
    if (typeof x[Symbol.iterator] === "function" || typeof x.length === "number") return Array.from(x);
  }
  throw _jw_err("TypeError", "'" + _jw_tn(x) + "' object is not iterable");
}

// @helper _jw_list
function _jw_list(x) {
  return x === undefined ? [] : _jw_iter(x).slice();
}

// @helper _jw_unpack
// `a, b = value`: exactly n items, or ValueError as in Python.
function _jw_unpack(value, n) {
  var items = _jw_iter(value);
  if (items.length < n) {
    throw _jw_err("ValueError", "not enough values to unpack (expected " + n + ", got " + items.length + ")");
  }
  if (items.length > n) throw _jw_err("ValueError", "too many values to unpack (expected " + n + ")");
  return items;
}

// @helper _jw_range
function _jw_range(a, b, step) {
  if (b === undefined) {
    b = a;
    a = 0;
  }
  step = step === undefined ? 1 : step;
  [a, b, step].forEach(function (v) {
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw _jw_err("TypeError", "'" + _jw_tn(v) + "' object cannot be interpreted as an integer");
    }
  });
  if (step === 0) throw _jw_err("ValueError", "range() arg 3 must not be zero");
  var out = [];
  for (var i = a; step > 0 ? i < b : i > b; i += step) out.push(i);
  return out;
}

// @helper _jw_enumerate
function _jw_enumerate(x, start) {
  var i = start === undefined ? 0 : start;
  return _jw_iter(x).map(function (v) { return [i++, v]; });
}

// @helper _jw_zip
function _jw_zip() {
  var lists = Array.prototype.map.call(arguments, _jw_iter), out = [];
  var n = lists.length ? Math.min.apply(null, lists.map(function (l) { return l.length; })) : 0;
  for (var i = 0; i < n; i++) out.push(lists.map(function (l) { return l[i]; }));
  return out;
}

// @helper _jw_more
// Is there one more item for a for loop? Lists are walked live (Python's list iterator reads
// the current length); a dict that changed size while walked raises, as in Python.
function _jw_more(items, k, source) {
  if (source !== items && _jw_isdict(source) && Object.keys(source).length !== items.length) {
    throw _jw_err("RuntimeError", "dictionary changed size during iteration");
  }
  return k < items.length;
}

// @helper _jw_flat
// One `for` clause of a comprehension: fn(item) returns the list of results for that item;
// with `unpack` > 0 each item is unpacked into that many arguments (`for k, v in ...`).
// `source`: the dict whose keys/values/items are walked (watched like a for loop's).
function _jw_flat(x, fn, unpack, source) {
  var items = _jw_iter(x), out = [];
  for (var i = 0; _jw_more(items, i, source === undefined ? x : source); i++) {
    var args = unpack ? _jw_unpack(items[i], unpack) : [items[i]];
    var part = fn.apply(null, args);
    for (var j = 0; j < part.length; j++) out.push(part[j]);
  }
  return out;
}

// @helper _jw_isinstance
// isinstance(x, int/float/str/bool/list/dict), names given by the compiler.
function _jw_isinstance(x, names) {
  for (var i = 0; i < names.length; i++) {
    var name = names[i];
    if (name === "bool" ? typeof x === "boolean" :
      name === "int" ? typeof x === "boolean" || (typeof x === "number" && Number.isInteger(x)) :
      name === "float" ? typeof x === "number" && !Number.isInteger(x) :
      name === "str" ? typeof x === "string" :
      name === "list" ? Array.isArray(x) : _jw_isdict(x)) return true;
  }
  return false;
}

// @helper _jw_matches
// Does a caught error match an `except` clause (Python names; Exception catches all)?
// Reading a property of None is a JS TypeError; Python calls it AttributeError (messages of
// V8, SpiderMonkey and JavaScriptCore).
function _jw_matches(error, names) {
  var name = error != null && typeof error.name === "string" ? error.name : "";
  if (name === "TypeError" && /^Cannot (read|set) propert|has no properties|is not an object/.test(error.message)) {
    name = "AttributeError";
  }
  var family = { LookupError: ["KeyError", "IndexError"], ArithmeticError: ["ZeroDivisionError"] };
  for (var i = 0; i < names.length; i++) {
    if (names[i] === "Exception" || names[i] === name) return true;
    if ((family[names[i]] || []).indexOf(name) >= 0) return true;
  }
  return false;
}

// @helper _jw_pyfloat
// repr() of a non-integral float: shortest round-trip digits, Python's exponent rules.
function _jw_pyfloat(x) {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  var parts = x.toExponential().split("e"), digits = parts[0].replace("-", "").replace(".", "");
  var exp = +parts[1], sign = x < 0 ? "-" : "";
  if (exp < -4 || exp >= 16) {
    var mant = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
  }
  if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits;
  var whole = digits.slice(0, exp + 1), frac = digits.slice(exp + 1);
  while (whole.length < exp + 1) whole += "0";
  return sign + whole + "." + (frac || "0");
}

// @helper _jw_repr
function _jw_repr(x) {
  if (typeof x === "string") {
    var q = x.indexOf("'") >= 0 && x.indexOf('"') < 0 ? '"' : "'";
    var body = x.replace(/[\\\n\r\t'"]|[\p{C}\p{Z}]/gu, function (c) {
      if (c === "\\") return "\\\\";
      if (c === "\n") return "\\n";
      if (c === "\r") return "\\r";
      if (c === "\t") return "\\t";
      if (c === "'" || c === '"') return c === q ? "\\" + c : c;
      if (c === " ") return c;
      var code = c.codePointAt(0), digits = code.toString(16);
      return code < 0x100 ? "\\x" + ("0" + digits).slice(-2) :
        code < 0x10000 ? "\\u" + ("000" + digits).slice(-4) : "\\U" + ("0000000" + digits).slice(-8);
    });
    return q + body + q;
  }
  if (Array.isArray(x)) return "[" + x.map(_jw_repr).join(", ") + "]";
  if (_jw_isdict(x)) {
    return "{" + Object.keys(x).map(function (k) { return _jw_repr(k) + ": " + _jw_repr(x[k]); })
      .join(", ") + "}";
  }
  return _jw_str(x);
}

// @helper _jw_str
// str(x) as Python writes it: None, True, 1.5, [1, 'a'], {'k': 2}; an exception's message.
function _jw_str(x) {
  if (typeof x === "string") return x;
  if (x == null) return "None";
  if (typeof x === "boolean") return x ? "True" : "False";
  if (typeof x === "number") return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : _jw_pyfloat(x);
  if (Array.isArray(x) || _jw_isdict(x)) return _jw_repr(x);
  if (x instanceof Error) return x.message;
  if (typeof x === "function") return "<function " + (x.name || "<lambda>") + ">";
  return String(x);
}

// @helper _jw_int
function _jw_int(x) {
  if (typeof x === "boolean") return +x;
  if (typeof x === "number") {
    if (x !== x) throw _jw_err("ValueError", "cannot convert float NaN to integer");
    if (!isFinite(x)) throw _jw_err("OverflowError", "cannot convert float infinity to integer");
    return Math.trunc(x) || 0;
  }
  if (typeof x === "string") {
    var t = _jw_strip(x);
    if (/^[+-]?[0-9]+(_[0-9]+)*$/.test(t)) return +t.replace(/_/g, "") || 0;
    throw _jw_err("ValueError", "invalid literal for int() with base 10: " + _jw_repr(x));
  }
  throw _jw_err("TypeError", "int() argument must be a string or a number, not '" + _jw_tn(x) + "'");
}

// @helper _jw_float
function _jw_float(x) {
  if (_jw_isnum(x)) return +x;
  if (typeof x === "string") {
    var t = _jw_strip(x).toLowerCase();
    if (/^[+-]?nan$/.test(t)) return NaN;
    if (/^[+-]?inf(inity)?$/.test(t)) return t[0] === "-" ? -Infinity : Infinity;
    if (/^[+-]?(([0-9]+(_[0-9]+)*)?\.?[0-9]+(_[0-9]+)*|[0-9]+(_[0-9]+)*\.)(e[+-]?[0-9]+(_[0-9]+)*)?$/.test(t)) {
      return +t.replace(/_/g, "");
    }
    throw _jw_err("ValueError", "could not convert string to float: " + _jw_repr(x));
  }
  throw _jw_err("TypeError", "float() argument must be a string or a real number, not '" + _jw_tn(x) + "'");
}

// @helper _jw_abs
function _jw_abs(x) {
  if (_jw_isnum(x)) return Math.abs(x);
  throw _jw_err("TypeError", "bad operand type for abs(): '" + _jw_tn(x) + "'");
}

// @helper _jw_minmax
// min()/max() of one iterable: the first smallest (largest) item, as Python picks it.
function _jw_minmax(x, sign, name) {
  var items = _jw_iter(x);
  if (!items.length) throw _jw_err("ValueError", name + "() arg is an empty sequence");
  var best = items[0];
  for (var i = 1; i < items.length; i++) {
    if (_jw_cmp(items[i], best, sign < 0 ? "<" : ">") * sign > 0) best = items[i];
  }
  return best;
}

// @helper _jw_min
function _jw_min(x) {
  return _jw_minmax(x, -1, "min");
}

// @helper _jw_max
function _jw_max(x) {
  return _jw_minmax(x, 1, "max");
}

// @helper _jw_sum
function _jw_sum(x, start) {
  var total = start === undefined ? 0 : start;
  if (typeof total === "string") throw _jw_err("TypeError", "sum() can't sum strings [use ''.join(seq) instead]");
  var items = _jw_iter(x);
  for (var i = 0; i < items.length; i++) total = _jw_add(total, items[i]);
  return total;
}

// @helper _jw_sorted
// sorted(x, key=None, reverse=False): stable, by Python's ordering.
function _jw_sorted(x, key, reverse) {
  var items = _jw_iter(x).map(function (v, i) { return [key == null ? v : key(v), i, v]; });
  items.sort(function (a, b) {
    var c = _jw_cmp(a[0], b[0], "<");
    c = c !== c ? 0 : c;
    return (_jw_bool(reverse) ? -c : c) || a[1] - b[1];
  });
  return items.map(function (e) { return e[2]; });
}

// @helper _jw_any
function _jw_any(x) {
  var items = _jw_iter(x);
  for (var i = 0; i < items.length; i++) if (_jw_bool(items[i])) return true;
  return false;
}

// @helper _jw_all
function _jw_all(x) {
  var items = _jw_iter(x);
  for (var i = 0; i < items.length; i++) if (!_jw_bool(items[i])) return false;
  return true;
}

// ------------------------------------------------------------------ methods
// o.m(...) for a Python method name: Python's meaning on a str/list/dict, the object's own JS
// method otherwise (element.append(node), location.replace(url), params.get("q")...).

// @helper _jw_native
function _jw_native(o, name, args) {
  if (o == null || typeof o[name] !== "function") {
    throw _jw_err("AttributeError", "'" + _jw_tn(o) + "' object has no attribute '" + name + "'");
  }
  return o[name].apply(o, args);
}

// @helper _jw_wsp
// Python's whitespace (str.isspace), which differs from JS's \s.
var _jw_wsp = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

// @helper _jw_strip
function _jw_strip(s, chars, where) {
  if (typeof s !== "string") return _jw_native(s, where === 1 ? "lstrip" : where === 2 ? "rstrip" : "strip", chars == null ? [] : [chars]);
  var set = chars == null ? _jw_wsp : chars.replace(/[\\\]^-]/g, "\\$&");
  if (chars === "") return s;
  if (where !== 2) s = s.replace(new RegExp("^[" + set + "]+", "u"), "");
  if (where !== 1) s = s.replace(new RegExp("[" + set + "]+$", "u"), "");
  return s;
}

// @helper _jw_m_strip
function _jw_m_strip(s, chars) {
  return _jw_strip(s, chars, 0);
}

// @helper _jw_m_lstrip
function _jw_m_lstrip(s, chars) {
  return _jw_strip(s, chars, 1);
}

// @helper _jw_m_rstrip
function _jw_m_rstrip(s, chars) {
  return _jw_strip(s, chars, 2);
}

// @helper _jw_m_lower
function _jw_m_lower(s) {
  return typeof s === "string" ? s.toLowerCase() : _jw_native(s, "lower", []);
}

// @helper _jw_m_upper
function _jw_m_upper(s) {
  return typeof s === "string" ? s.toUpperCase() : _jw_native(s, "upper", []);
}

// @helper _jw_affix
function _jw_affix(s, p, name, test) {
  if (typeof s !== "string") return _jw_native(s, name, [p]);
  var options = Array.isArray(p) ? p : [p];
  for (var i = 0; i < options.length; i++) {
    if (typeof options[i] !== "string") {
      throw _jw_err("TypeError", name + " first arg must be str or a tuple of str, not " + _jw_tn(options[i]));
    }
    if (test(s, options[i])) return true;
  }
  return false;
}

// @helper _jw_m_startswith
function _jw_m_startswith(s, p) {
  return _jw_affix(s, p, "startswith", function (a, b) { return a.startsWith(b); });
}

// @helper _jw_m_endswith
function _jw_m_endswith(s, p) {
  return _jw_affix(s, p, "endswith", function (a, b) { return a.endsWith(b); });
}

// @helper _jw_m_split
// str.split(sep=None, maxsplit=-1): on whitespace runs without sep, as in Python.
function _jw_m_split(s, sep, maxsplit) {
  if (typeof s !== "string") return _jw_native(s, "split", Array.prototype.slice.call(arguments, 1));
  var max = maxsplit == null || maxsplit < 0 ? Infinity : maxsplit, out = [];
  if (sep == null) {
    var ws = new RegExp("[" + _jw_wsp + "]+", "u");
    s = _jw_strip(s, null, 1);
    while (s && out.length < max) {
      var m = ws.exec(s);
      if (!m) break;
      out.push(s.slice(0, m.index));
      s = _jw_strip(s.slice(m.index), null, 1);
    }
    if (s) out.push(s); // the rest after maxsplit keeps its trailing whitespace, as in Python
    return out;
  }
  if (typeof sep !== "string") throw _jw_err("TypeError", "must be str or None, not " + _jw_tn(sep));
  if (sep === "") throw _jw_err("ValueError", "empty separator");
  var parts = s.split(sep);
  return parts.length - 1 > max ? parts.slice(0, max).concat(parts.slice(max).join(sep)) : parts;
}

// @helper _jw_m_join
function _jw_m_join(sep, items) {
  if (typeof sep !== "string") return _jw_native(sep, "join", [items]);
  var list = _jw_iter(items);
  for (var i = 0; i < list.length; i++) {
    if (typeof list[i] !== "string") {
      throw _jw_err("TypeError", "sequence item " + i + ": expected str instance, " + _jw_tn(list[i]) + " found");
    }
  }
  return list.join(sep);
}

// @helper _jw_m_replace
// str.replace replaces every occurrence (JS's first only), or the first `count`.
function _jw_m_replace(s, old, repl, count) {
  if (typeof s !== "string") return _jw_native(s, "replace", Array.prototype.slice.call(arguments, 1));
  if (typeof old !== "string" || typeof repl !== "string") {
    throw _jw_err("TypeError", "replace() arguments must be str");
  }
  var parts = old === "" ? [""].concat(_jw_cps(s), [""]) : s.split(old);
  var max = count == null || count < 0 ? parts.length : count;
  var out = parts[0];
  for (var i = 1; i < parts.length; i++) out += (i <= max ? repl : old) + parts[i];
  return out;
}

// @helper _jw_m_find
function _jw_m_find(s, sub) {
  if (typeof s !== "string") return _jw_native(s, "find", [sub]);
  var i = s.indexOf(sub);
  return i < 0 ? -1 : _jw_len(s.slice(0, i));
}

// @helper _jw_m_count
function _jw_m_count(o, x) {
  if (typeof o === "string") return x === "" ? _jw_len(o) + 1 : o.split(x).length - 1;
  if (Array.isArray(o)) return o.filter(function (v) { return _jw_eq(v, x); }).length;
  return _jw_native(o, "count", [x]);
}

// @helper _jw_m_index
function _jw_m_index(o, x) {
  if (typeof o === "string") {
    var i = _jw_m_find(o, x);
    if (i < 0) throw _jw_err("ValueError", "substring not found");
    return i;
  }
  if (Array.isArray(o)) {
    for (var j = 0; j < o.length; j++) if (_jw_eq(o[j], x)) return j;
    throw _jw_err("ValueError", _jw_repr(x) + " is not in list");
  }
  return _jw_native(o, "index", [x]);
}

// @helper _jw_m_append
function _jw_m_append(o, x) {
  if (!Array.isArray(o)) return _jw_native(o, "append", [x]);
  o.push(x);
  return null;
}

// @helper _jw_m_extend
function _jw_m_extend(o, x) {
  if (!Array.isArray(o)) return _jw_native(o, "extend", [x]);
  _jw_iadd(o, _jw_list(x));
  return null;
}

// @helper _jw_m_insert
function _jw_m_insert(o, i, x) {
  if (!Array.isArray(o)) return _jw_native(o, "insert", [i, x]);
  var n = o.length;
  i = i < 0 ? Math.max(i + n, 0) : Math.min(i, n);
  o.splice(i, 0, x);
  return null;
}

// @helper _jw_m_remove
function _jw_m_remove(o, x) {
  if (!Array.isArray(o)) return _jw_native(o, "remove", Array.prototype.slice.call(arguments, 1));
  o.splice(_jw_m_index(o, x), 1);
  return null;
}

// @helper _jw_m_pop
// list.pop(i=-1) and dict.pop(key[, default]).
function _jw_m_pop(o, k, dflt) {
  if (Array.isArray(o)) {
    if (!o.length) throw _jw_err("IndexError", "pop from empty list");
    return o.splice(_jw_index(k === undefined ? -1 : k, o.length, "pop"), 1)[0];
  }
  if (_jw_isdict(o)) {
    if (typeof k === "string" && _jw_has(o, k)) {
      var v = o[k];
      delete o[k];
      return v;
    }
    if (arguments.length > 2) return dflt;
    throw _jw_err("KeyError", _jw_repr(k));
  }
  return _jw_native(o, "pop", Array.prototype.slice.call(arguments, 1));
}

// @helper _jw_m_get
function _jw_m_get(o, k, dflt) {
  if (!_jw_isdict(o)) return _jw_native(o, "get", Array.prototype.slice.call(arguments, 1));
  return typeof k === "string" && _jw_has(o, k) ? o[k] : dflt === undefined ? null : dflt;
}

// @helper _jw_m_keys
function _jw_m_keys(o) {
  return _jw_isdict(o) ? Object.keys(o) : _jw_iter(_jw_native(o, "keys", []));
}

// @helper _jw_m_values
function _jw_m_values(o) {
  return _jw_isdict(o) ? Object.keys(o).map(function (k) { return o[k]; }) : _jw_iter(_jw_native(o, "values", []));
}

// @helper _jw_m_items
function _jw_m_items(o) {
  return _jw_isdict(o) ? Object.keys(o).map(function (k) { return [k, o[k]]; }) : _jw_iter(_jw_native(o, "entries", []));
}

// @helper _jw_m_update
function _jw_m_update(o, other) {
  if (!_jw_isdict(o)) return _jw_native(o, "update", [other]);
  if (!_jw_isdict(other)) throw _jw_err("TypeError", "dict.update() takes a dict here, not " + _jw_tn(other));
  Object.keys(other).forEach(function (k) { o[_jw_key(k)] = other[k]; });
  return null;
}

// @helper _jw_m_clear
function _jw_m_clear(o) {
  if (Array.isArray(o)) o.length = 0;
  else if (_jw_isdict(o)) Object.keys(o).forEach(function (k) { delete o[k]; });
  else return _jw_native(o, "clear", []);
  return null;
}

// ------------------------------------------------------------------ errors, locations

// @helper _jw_where
// Names the Python file, function and line of an error leaving a compiled callback: the
// message gets " (file, line N, in function)", as a Python traceback's last line would say.
// `table` holds [first line, last line, name] of every function, outer ones first.
function _jw_where(error, file, table, line) {
  if (error instanceof Error && !error._jw_where) {
    var fn = "<module>";
    for (var i = 0; i < table.length; i += 3) if (table[i] <= line && line <= table[i + 1]) fn = table[i + 2];
    error._jw_where = 1;
    error.message += " (" + file + ", line " + line + ", in " + fn + ")";
  }
  return error;
}

// @helper _jw_guard
// A compiled callback as the page sees it: errors carry the Python location; an async
// callback's failure is reported (window.onerror) instead of becoming an unhandled rejection.
function _jw_guard(fn, file, table) {
  return function () {
    try {
      var result = fn.apply(this, arguments);
    } catch (error) {
      throw _jw_where(error, file, table, _jw_at);
    }
    if (result && typeof result.then === "function") {
      result.then(null, function (error) { _jw_report(_jw_where(error, file, table, _jw_at)); });
    }
    return result;
  };
}

// @helper _jw_report
// Report an error like an uncaught one (window.onerror, the console) without stopping others.
function _jw_report(error) {
  if (typeof reportError === "function") reportError(error);
  else setTimeout(function () { throw error; });
}
