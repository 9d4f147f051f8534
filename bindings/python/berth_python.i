/*
 * Python typemaps for the Berth host C API. Included by ../berth_core.i.
 *
 * - `berth_error **err` disappears from the signature; a failed call raises the berth.errors
 *   class for its code (BerthError subclasses carrying .code and the message).
 * - berth_result results are dropped: a call returns None or its out-parameters.
 * - stream ids ((const char *, size_t) pairs) take str (UTF-8) or bytes, without copying.
 * - strings coming out are copied into Python str (the engine's owner strings live until close).
 * - calls that may block release the GIL.
 */

%{
static PyObject *berth_py_error_factory = NULL;

/* Raises berth.errors.error_for(code, message); falls back to RuntimeError. */
static void berth_py_raise(int32_t code, const berth_error *e) {
  const char *message = e ? berth_error_message(e) : "unknown error";
  if (e) code = berth_error_code(e);
  if (!berth_py_error_factory) {
    PyObject *mod = PyImport_ImportModule("berth.errors");
    if (mod) {
      berth_py_error_factory = PyObject_GetAttrString(mod, "error_for");
      Py_DECREF(mod);
    }
  }
  if (berth_py_error_factory) {
    PyObject *exc = PyObject_CallFunction(berth_py_error_factory, "is", (int)code, message ? message : "");
    if (exc) {
      PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
      Py_DECREF(exc);
      return;
    }
  }
  PyErr_Clear();
  PyErr_Format(PyExc_RuntimeError, "berth error %d: %s", (int)code, message ? message : "");
}

static PyObject *berth_py_str(const char *text, size_t len) {
  return PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "surrogateescape");
}

/* str (its cached UTF-8) or bytes, no copy. Returns 0 with an exception set on failure. */
static int berth_py_stream_arg(PyObject *o, const char **text, size_t *len) {
  Py_ssize_t n = 0;
  if (PyUnicode_Check(o)) {
    *text = PyUnicode_AsUTF8AndSize(o, &n);
    if (!*text) return 0;
  } else if (PyBytes_Check(o)) {
    char *p = NULL;
    if (PyBytes_AsStringAndSize(o, &p, &n) < 0) return 0;
    *text = p;
  } else {
    PyErr_Format(PyExc_TypeError, "a stream id must be str or bytes, not %.100s", Py_TYPE(o)->tp_name);
    return 0;
  }
  *len = (size_t)n;
  return 1;
}
%}

/* ---- errors: the one typemap ---- */
%typemap(in, numinputs=0) berth_error **err (berth_error *err_temp = NULL) "$1 = &err_temp;"
%typemap(argout) berth_error **err {
  if (result != 0 || err_temp$argnum) {
    Py_XDECREF($result);
    $result = NULL;
    berth_py_raise(result, err_temp$argnum);
    berth_error_free(err_temp$argnum);
    err_temp$argnum = NULL;
    SWIG_fail;
  }
}
%typemap(freearg) berth_error **err "berth_error_free(err_temp$argnum);"

%typemap(out) berth_result "$result = SWIG_Py_Void();"

/* ---- handles created through an out-parameter ---- */
%typemap(in, numinputs=0) SWIGTYPE **out ($*1_ltype handle_temp = NULL) "$1 = &handle_temp;"
%typemap(argout) SWIGTYPE **out {
  if (result == 0) $result = SWIG_Python_AppendOutput($result, SWIG_NewPointerObj(SWIG_as_voidptr(handle_temp$argnum), $*1_descriptor, 0));
}

/* ---- stream ids in ---- */
%typemap(in) (const char *stream, size_t stream_len) {
  if (!berth_py_stream_arg($input, (const char **)&$1, &$2)) SWIG_fail;
}

/* ---- strings out ---- */
%typemap(in, numinputs=0) const char **out_owner (const char *str_temp = NULL), const char **out_id (const char *str_temp = NULL) "$1 = ($1_ltype)&str_temp;"
%typemap(argout) const char **out_owner, const char **out_id {
  if (result == 0 && str_temp$argnum) {
    PyObject *s = berth_py_str(str_temp$argnum, strlen(str_temp$argnum));
    if (!s) SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, s);
  }
}
%typemap(in, numinputs=0) (const char **out_id, size_t *out_id_len) (const char *id_temp = NULL, size_t len_temp = 0) {
  $1 = ($1_ltype)&id_temp;
  $2 = &len_temp;
}
%typemap(argout) (const char **out_id, size_t *out_id_len) {
  if (result == 0 && id_temp$argnum) {
    PyObject *s = berth_py_str(id_temp$argnum, len_temp$argnum);
    if (!s) SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, s);
  }
}
%typemap(in, numinputs=0) char **out_text (char *text_temp = NULL) "$1 = &text_temp;"
%typemap(argout) char **out_text {
  if (result == 0 && text_temp$argnum) {
    PyObject *s = berth_py_str(text_temp$argnum, strlen(text_temp$argnum));
    berth_string_free(text_temp$argnum);
    text_temp$argnum = NULL;
    if (!s) SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, s);
  }
}
%typemap(freearg) char **out_text "berth_string_free(text_temp$argnum);"

%apply double *OUTPUT { double *out_capacity, double *out_load };
%apply unsigned long long *OUTPUT { uint64_t *out_streams, uint64_t *out_token };

/* ---- bytes out (an ownership event's stream) ---- */
%typemap(out) berth_bytes {
  $result = PyBytes_FromStringAndSize($1.data ? $1.data : "", (Py_ssize_t)$1.len);
  if (!$result) SWIG_fail;
}
%apply unsigned int *OUTPUT { uint32_t *out_owner };

/* ---- batch lookup: a sequence of str/bytes in, a list of str out ---- */
%typemap(in) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners)
    (PyObject *seq = NULL, void *block = NULL) {
  Py_ssize_t n, i;
  PyObject **items;
  seq = PySequence_Fast($input, "streams must be a sequence of str or bytes");
  if (!seq) SWIG_fail;
  n = PySequence_Fast_GET_SIZE(seq);
  items = PySequence_Fast_ITEMS(seq);
  block = malloc((size_t)(n ? n : 1) * (2 * sizeof(const char *) + sizeof(size_t)));
  if (!block) { PyErr_NoMemory(); SWIG_fail; }
  $1 = ($1_ltype)block;
  $4 = ($4_ltype)((const char **)block + n);
  $2 = ($2_ltype)((const char **)block + 2 * n);
  for (i = 0; i < n; ++i) {
    if (!berth_py_stream_arg(items[i], (const char **)&$1[i], (size_t *)&$2[i])) SWIG_fail;
    $4[i] = NULL;
  }
  $3 = (size_t)n;
}
%typemap(argout) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) {
  if (result == 0) {
    /* Owners repeat (some servers, many streams): one str per distinct owner address, in an
       open-addressing table sized to the batch (at most kMax owners cached; others are converted
       each time), so a batch creates about as many str objects as there are servers. */
    enum { kMaxSlots = 512, kMax = 384 };
    const char *seen[kMaxSlots];
    PyObject *seen_str[kMaxSlots];
    size_t i, slots = 16, cached = 0;
    PyObject *list;
    while (slots < kMaxSlots && slots < 2 * $3) slots *= 2;
    memset(seen, 0, slots * sizeof seen[0]);
    memset(seen_str, 0, slots * sizeof seen_str[0]);
    list = PyList_New((Py_ssize_t)$3);
    if (!list) SWIG_fail;
    for (i = 0; i < $3; ++i) {
      const char *p = $4[i];
      size_t slot = (size_t)((((uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull) >> 40) & (slots - 1);
      PyObject *s;
      if (!p) {
        Py_INCREF(Py_None);
        PyList_SET_ITEM(list, (Py_ssize_t)i, Py_None);
        continue;
      }
      while (seen[slot] && seen[slot] != p) slot = (slot + 1) & (slots - 1);
      if (seen[slot] == p) {
        s = seen_str[slot];
        Py_INCREF(s);
      } else {
        s = berth_py_str(p, strlen(p));
        if (!s) {
          Py_DECREF(list);
          for (i = 0; i < slots; ++i) Py_XDECREF(seen_str[i]);
          SWIG_fail;
        }
        if (cached < kMax && cached < slots * 3 / 4) {
          seen[slot] = p;
          seen_str[slot] = s;
          Py_INCREF(s);
          ++cached;
        }
      }
      PyList_SET_ITEM(list, (Py_ssize_t)i, s);
    }
    for (i = 0; i < slots; ++i) Py_XDECREF(seen_str[i]);
    $result = SWIG_Python_AppendOutput($result, list);
  }
}
%typemap(freearg) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) {
  free(block$argnum);
  Py_XDECREF(seq$argnum);
}

/* ---- the GIL is released around calls that may block ---- */
%define BERTH_PY_NOGIL(name)
%exception name {
  Py_BEGIN_ALLOW_THREADS
  $action
  Py_END_ALLOW_THREADS
}
%enddef
BERTH_PY_NOGIL(berth_engine_open)
BERTH_PY_NOGIL(berth_engine_close)
BERTH_PY_NOGIL(berth_engine_flush)
BERTH_PY_NOGIL(berth_engine_refresh)
BERTH_PY_NOGIL(berth_engine_resign)
BERTH_PY_NOGIL(berth_engine_wait_version)
BERTH_PY_NOGIL(berth_engine_join)
BERTH_PY_NOGIL(berth_engine_join_labeled)
BERTH_PY_NOGIL(berth_engine_leave)
BERTH_PY_NOGIL(berth_events_poll)
BERTH_PY_NOGIL(berth_ownership_poll)
BERTH_PY_NOGIL(berth_ownership_release_stream)
BERTH_PY_NOGIL(berth_engine_drain)
