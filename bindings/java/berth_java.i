/*
 * Java typemaps for the Berth host C API. Included by ../berth_core.i; the generated classes go
 * to org.berth, made package-private by the build (java/jar.cmake), and the public
 * org.berth.{Engine,Options,Snapshot,...} wrap them.
 *
 * - `berth_error **err` disappears from the signature; a failed call throws the
 *   org.berth.BerthException subclass for its code (BerthException.fromNative), with the message.
 * - handles are plain `long`s (no proxy object per call); `T **out` is a long[1].
 * - strings cross as standard UTF-8 (not JNI's modified UTF-8), converted on the stack for short
 *   ones, so Java and Python send the same bytes for the same id.
 * - strings coming out are copied into java.lang.String and written to a String[1]; the single
 *   lookup returns the owner's address instead, and org.berth.Engine caches the Java copies.
 * - the batch lookup replaces each element of its String[] argument by the stream's owner.
 * - fixed-width integers map to Java's signed types of the same width.
 */

%{
#include <stdint.h>

static jstring berth_java_string(JNIEnv *jenv, const char *text, size_t len);

static jclass berth_java_exception_class = NULL;
static jmethodID berth_java_exception_factory = NULL;

/* Throws org.berth.BerthException.fromNative(code, message); the caller returns normally. */
static void berth_java_throw(JNIEnv *jenv, int32_t code, const berth_error *e) {
  const char *message = e ? berth_error_message(e) : "unknown error";
  jstring jmessage;
  jobject exc;
  if (e) code = berth_error_code(e);
  if (!berth_java_exception_class) {
    jclass local = (*jenv)->FindClass(jenv, "org/berth/BerthException");
    if (!local) return; /* NoClassDefFoundError is pending */
    berth_java_exception_factory = (*jenv)->GetStaticMethodID(jenv, local, "fromNative",
        "(ILjava/lang/String;)Lorg/berth/BerthException;");
    if (!berth_java_exception_factory) return;
    berth_java_exception_class = (jclass)(*jenv)->NewGlobalRef(jenv, local);
    (*jenv)->DeleteLocalRef(jenv, local);
  }
  jmessage = berth_java_string(jenv, message ? message : "", message ? strlen(message) : 0);
  if (!jmessage) return;
  exc = (*jenv)->CallStaticObjectMethod(jenv, berth_java_exception_class, berth_java_exception_factory,
                                        (jint)code, jmessage);
  (*jenv)->DeleteLocalRef(jenv, jmessage);
  if (exc && !(*jenv)->ExceptionCheck(jenv)) (*jenv)->Throw(jenv, (jthrowable)exc);
}

/* Standard UTF-8 (not JNI's modified UTF-8) both ways, so Java and Python send the same bytes for
   every stream id. Bytes outside valid UTF-8 cross as the lone surrogates U+DC80..U+DCFF and back
   (Python's "surrogateescape"), so an id written as arbitrary bytes round-trips exactly; other
   lone surrogates become U+FFFD. org.berth.Utf8 does the same in Java. */
static size_t berth_java_encode(const jchar *u, jsize n, char *dst) {
  size_t o = 0;
  jsize i;
  for (i = 0; i < n; ++i) {
    uint32_t c = u[i];
    if (c < 0x80) {
      dst[o++] = (char)c;
      continue;
    }
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00u);
      ++i;
    } else if (c >= 0xDC80 && c <= 0xDCFF) {
      dst[o++] = (char)(c - 0xDC00); /* an escaped byte */
      continue;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x800) {
      dst[o++] = (char)(0xC0 | (c >> 6));
    } else if (c < 0x10000) {
      dst[o++] = (char)(0xE0 | (c >> 12));
      dst[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
    } else {
      dst[o++] = (char)(0xF0 | (c >> 18));
      dst[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
      dst[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
    }
    dst[o++] = (char)(0x80 | (c & 0x3F));
  }
  return o;
}

/* The UTF-8 of `s`, NUL-terminated, in buf if it fits, else in *heap (the caller frees it).
   NULL (with an exception pending) on failure. */
static const char *berth_java_utf8(JNIEnv *jenv, jstring s, char *buf, size_t cap, char **heap, size_t *len) {
  jchar small[256];
  jsize n = (*jenv)->GetStringLength(jenv, s);
  jchar *u;
  u = (size_t)n <= sizeof small / sizeof small[0] ? small : (jchar *)malloc((size_t)n * sizeof(jchar));
  size_t need = (size_t)n * 3 + 1;
  char *dst = need <= cap ? buf : (*heap = (char *)malloc(need));
  if (!u || !dst) {
    if (u != small) free(u);
    SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "string conversion");
    return NULL;
  }
  (*jenv)->GetStringRegion(jenv, s, 0, n, u);
  *len = berth_java_encode(u, n, dst);
  dst[*len] = 0;
  if (u != small) free(u);
  return dst;
}

/* A java.lang.String from UTF-8 bytes; each byte outside a valid sequence becomes U+DC80..U+DCFF. */
static jstring berth_java_string(JNIEnv *jenv, const char *text, size_t len) {
  const unsigned char *p = (const unsigned char *)text;
  size_t i = 0, o = 0;
  jchar small[256];
  jchar *u;
  jstring s;
  u = len <= sizeof small / sizeof small[0] ? small : (jchar *)malloc(len * sizeof(jchar));
  if (len == 0) {
    static const jchar empty = 0;
    return (*jenv)->NewString(jenv, &empty, 0);
  }
  if (!u) return NULL;
  for (i = 0; i < len;) {
    uint32_t c = p[i], need = 0, min = 0;
    if (c < 0x80) { ++i; u[o++] = (jchar)c; continue; }
    if ((c & 0xE0) == 0xC0) { need = 1; c &= 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { need = 2; c &= 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { need = 3; c &= 0x07; min = 0x10000; }
    else { u[o++] = (jchar)(0xDC00 + p[i]); ++i; continue; }
    {
      uint32_t k, ok = 1;
      for (k = 1; k <= need; ++k) {
        if (i + k >= len || (p[i + k] & 0xC0) != 0x80) { ok = 0; break; }
        c = (c << 6) | (p[i + k] & 0x3F);
      }
      if (!ok || c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) { u[o++] = (jchar)(0xDC00 + p[i]); ++i; continue; }
      i += need + 1;
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      u[o++] = (jchar)(0xD800 + (c >> 10));
      u[o++] = (jchar)(0xDC00 + (c & 0x3FF));
    } else {
      u[o++] = (jchar)c;
    }
  }
  s = (*jenv)->NewString(jenv, u, (jsize)o);
  if (u != small) free(u);
  return s;
}

/* Owner strings live until berth_engine_close: Engine caches their Java copies by address. */
static const char *berth_java_owner_name(int64_t owner) {
  return (const char *)(intptr_t)owner;
}
%}

%pragma(java) jniclasscode=%{
  static {
    NativeLoader.load();
    Logs.start();  // the library's log lines to SLF4J from now on
  }
%}

/* ---- errors: the one typemap ---- */
%typemap(in, numinputs=0) berth_error **err (berth_error *err_temp = NULL) "$1 = &err_temp;"
%typemap(argout) berth_error **err {
  if (result != 0 || err_temp$argnum) {
    berth_java_throw(jenv, result, err_temp$argnum);
  }
}
%typemap(freearg) berth_error **err "berth_error_free(err_temp$argnum);"

/* ---- integers ---- */
%apply long long { uint64_t };
%apply int { uint32_t };
%apply long long *OUTPUT { uint64_t *out_streams, uint64_t *out_token };
%apply int *OUTPUT { uint32_t *out_owner };
%apply double *OUTPUT { double *out_capacity, double *out_load };

/* ---- handles are longs ---- */
%define BERTH_JAVA_HANDLE(TYPE)
%typemap(jni) TYPE *, const TYPE * "jlong"
%typemap(jtype) TYPE *, const TYPE * "long"
%typemap(jstype) TYPE *, const TYPE * "long"
%typemap(in) TYPE *, const TYPE * %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(out) TYPE *, const TYPE * %{ $result = (jlong)(intptr_t)$1; %}
%typemap(javain) TYPE *, const TYPE * "$javainput"
%typemap(javaout) TYPE *, const TYPE * { return $jnicall; }
%typemap(jni) TYPE **out "jlongArray"
%typemap(jtype) TYPE **out "long[]"
%typemap(jstype) TYPE **out "long[]"
%typemap(javain) TYPE **out "$javainput"
%typemap(in) TYPE **out (TYPE *handle_temp = NULL) {
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "a long[1] is needed for the handle");
    return $null;
  }
  $1 = &handle_temp;
}
%typemap(argout) TYPE **out {
  jlong handle_value = (jlong)(intptr_t)handle_temp$argnum;
  (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &handle_value);
}
%enddef
BERTH_JAVA_HANDLE(berth_options)
BERTH_JAVA_HANDLE(berth_engine)
BERTH_JAVA_HANDLE(berth_snapshot)
BERTH_JAVA_HANDLE(berth_events)
BERTH_JAVA_HANDLE(berth_ownership)
BERTH_JAVA_HANDLE(berth_held)

/* ---- bytes out (an ownership event's stream): byte[] ---- */
%typemap(jni) berth_bytes "jbyteArray"
%typemap(jtype) berth_bytes "byte[]"
%typemap(jstype) berth_bytes "byte[]"
%typemap(javaout) berth_bytes { return $jnicall; }
%typemap(out) berth_bytes {
  $result = (*jenv)->NewByteArray(jenv, (jsize)$1.len);
  if ($result && $1.len) (*jenv)->SetByteArrayRegion(jenv, $result, 0, (jsize)$1.len, (const jbyte *)$1.data);
}

/* ---- stream ids in ---- */
%typemap(jni) (const char *stream, size_t stream_len) "jstring"
%typemap(jtype) (const char *stream, size_t stream_len) "String"
%typemap(jstype) (const char *stream, size_t stream_len) "String"
%typemap(javain) (const char *stream, size_t stream_len) "$javainput"
%typemap(in) (const char *stream, size_t stream_len) (char stream_buf[256], char *stream_heap = NULL) {
  if (!$input) {
    $1 = NULL;
    $2 = 0;
  } else {
    $1 = ($1_ltype)berth_java_utf8(jenv, $input, stream_buf, sizeof stream_buf, &stream_heap, &$2);
    if (!$1) return $null;
  }
}
%typemap(freearg) (const char *stream, size_t stream_len) "free(stream_heap$argnum);"

/* ---- every other string in and out: standard UTF-8 ---- */
%typemap(in) const char * (char str_buf[256], char *str_heap = NULL, size_t str_len = 0) {
  $1 = NULL;
  if ($input) {
    $1 = ($1_ltype)berth_java_utf8(jenv, $input, str_buf, sizeof str_buf, &str_heap, &str_len);
    if (!$1) return $null;
  }
}
%typemap(freearg) const char * "free(str_heap$argnum);"
%typemap(out) const char * %{ $result = $1 ? berth_java_string(jenv, $1, strlen($1)) : NULL; %}

/* ---- single lookup: the JNI call returns the owner's address (stable until close); Engine
   keeps the Java copies, fetched once through berth_java_owner_name ---- */
%typemap(jni) berth_result berth_engine_lookup "jlong"
%typemap(jtype) berth_result berth_engine_lookup "long"
%typemap(jstype) berth_result berth_engine_lookup "long"
%typemap(javaout) berth_result berth_engine_lookup { return $jnicall; }
%typemap(out) berth_result berth_engine_lookup "$result = 0;"
%typemap(in, numinputs=0) const char **out_owner (const char *owner_temp = NULL) "$1 = ($1_ltype)&owner_temp;"
%typemap(argout) const char **out_owner "if (result == 0) $result = (jlong)(intptr_t)owner_temp$argnum;"
const char *berth_java_owner_name(int64_t owner);

/* ---- strings out: String[1] ---- */

%typemap(jni) const char **out_id, char **out_text "jobjectArray"
%typemap(jtype) const char **out_id, char **out_text "String[]"
%typemap(jstype) const char **out_id, char **out_text "String[]"
%typemap(javain) const char **out_id, char **out_text "$javainput"
%typemap(in) const char **out_id (const char *str_temp = NULL), char **out_text (char *str_temp = NULL) {
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "a String[1] is needed for the result");
    return $null;
  }
  $1 = ($1_ltype)&str_temp;
}
%typemap(argout) const char **out_id, char **out_text {
  if (result == 0 && str_temp$argnum) {
    jstring s = berth_java_string(jenv, str_temp$argnum, strlen(str_temp$argnum));
    if (s) {
      (*jenv)->SetObjectArrayElement(jenv, $input, 0, s);
      (*jenv)->DeleteLocalRef(jenv, s);
    }
  }
}
%typemap(freearg) char **out_text "berth_string_free(str_temp$argnum);"

%typemap(jni) (const char **out_id, size_t *out_id_len) "jobjectArray"
%typemap(jtype) (const char **out_id, size_t *out_id_len) "String[]"
%typemap(jstype) (const char **out_id, size_t *out_id_len) "String[]"
%typemap(javain) (const char **out_id, size_t *out_id_len) "$javainput"
%typemap(in) (const char **out_id, size_t *out_id_len) (const char *id_temp = NULL, size_t len_temp = 0) {
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "a String[1] is needed for the result");
    return $null;
  }
  $1 = ($1_ltype)&id_temp;
  $2 = &len_temp;
}
%typemap(argout) (const char **out_id, size_t *out_id_len) {
  if (result == 0 && id_temp$argnum) {
    jstring s = berth_java_string(jenv, id_temp$argnum, len_temp$argnum);
    if (s) {
      (*jenv)->SetObjectArrayElement(jenv, $input, 0, s);
      (*jenv)->DeleteLocalRef(jenv, s);
    }
  }
}

/* ---- batch lookup: String[] of stream ids in, the same array holds the owners after ---- */
%typemap(jni) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) "jobjectArray"
%typemap(jtype) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) "String[]"
%typemap(jstype) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) "String[]"
%typemap(javain) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) "$javainput"
%typemap(in) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners)
    (void *block = NULL, char *text = NULL) {
  jsize n, i;
  size_t cap, used = 0;
  const char **names;
  size_t *lens;
  uintptr_t *offsets;
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "streams is null");
    return $null;
  }
  n = (*jenv)->GetArrayLength(jenv, $input);
  block = malloc((size_t)(n ? n : 1) * (2 * sizeof(const char *) + 2 * sizeof(size_t)));
  cap = (size_t)n * 32 + 64;
  text = (char *)malloc(cap);
  if (!block || !text) {
    free(block);
    free(text);
    SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "batch lookup");
    return $null;
  }
  names = (const char **)block;
  $4 = ($4_ltype)(names + n);
  lens = (size_t *)(names + 2 * n);
  offsets = (uintptr_t *)(lens + n);
  for (i = 0; i < n; ++i) {
    jstring s = (jstring)(*jenv)->GetObjectArrayElement(jenv, $input, i);
    jsize len, ulen;
    $4[i] = NULL;
    if (!s) { offsets[i] = UINTPTR_MAX; lens[i] = 0; continue; }
    len = (*jenv)->GetStringLength(jenv, s);
    if (used + (size_t)len * 3 + 1 > cap) {
      char *grown;
      cap = 2 * cap + (size_t)len * 3 + 1;
      grown = (char *)realloc(text, cap);
      if (!grown) {
        free(block);
        free(text);
        SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "batch lookup");
        return $null;
      }
      text = grown;
    }
    {
      jchar small[256];
      jchar *u = (size_t)len <= 256 ? small : (jchar *)malloc((size_t)len * sizeof(jchar));
      if (!u) {
        free(block);
        free(text);
        SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "batch lookup");
        return $null;
      }
      (*jenv)->GetStringRegion(jenv, s, 0, len, u);
      ulen = (jsize)berth_java_encode(u, len, text + used);
      if (u != small) free(u);
    }
    text[used + (size_t)ulen] = 0;
    offsets[i] = used;
    lens[i] = (size_t)ulen;
    used += (size_t)ulen + 1;
    (*jenv)->DeleteLocalRef(jenv, s);
  }
  for (i = 0; i < n; ++i) names[i] = offsets[i] == UINTPTR_MAX ? NULL : text + offsets[i];
  $1 = ($1_ltype)names;
  $2 = ($2_ltype)lens;
  $3 = (size_t)n;
}
%typemap(argout) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) {
  if (result == 0) {
    /* Owners repeat (a few servers, many streams): one String per distinct owner address, in an
       open-addressing table of kSlots (at most kMax distinct owners cached; more are converted
       each time). */
    enum { kSlots = 128, kMax = 96 };
    const char *seen[kSlots];
    jstring seen_str[kSlots];
    size_t i, cached = 0;
    memset(seen, 0, sizeof seen);
    memset(seen_str, 0, sizeof seen_str);
    (*jenv)->EnsureLocalCapacity(jenv, kMax + 8);
    for (i = 0; i < $3; ++i) {
      const char *p = $4[i];
      size_t slot = (((uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull) >> 57; /* 7 bits: 0..127 */
      jstring s = NULL;
      if (!p) {
        (*jenv)->SetObjectArrayElement(jenv, $input, (jsize)i, NULL);
        continue;
      }
      while (seen[slot] && seen[slot] != p) slot = (slot + 1) % kSlots;
      if (seen[slot] == p) {
        s = seen_str[slot];
      } else {
        s = berth_java_string(jenv, p, strlen(p));
        if (!s) break;
        if (cached < kMax) {
          seen[slot] = p;
          seen_str[slot] = s;
          ++cached;
        }
      }
      (*jenv)->SetObjectArrayElement(jenv, $input, (jsize)i, s);
      if (seen[slot] != p) (*jenv)->DeleteLocalRef(jenv, s);
    }
    for (i = 0; i < kSlots; ++i) if (seen_str[i]) (*jenv)->DeleteLocalRef(jenv, seen_str[i]);
  }
}
%typemap(freearg) (const char *const *streams, const size_t *stream_lens, size_t count, const char **out_owners) {
  free(block$argnum);
  free(text$argnum);
}
