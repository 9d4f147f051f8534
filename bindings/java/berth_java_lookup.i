/*
 * The fast single lookup of org.berth.Engine, included last by ../berth_core.i (it needs the
 * handle types): the calling thread has already written the id's UTF-8 into a direct buffer of its
 * own, so the JNI call carries only numbers (handle, address, length) and the native side calls no
 * JNI function at all (each one is a VM transition, as costly as the lookup itself). Ids that are
 * not ASCII, or longer than the buffer, take the String path of berth_engine_lookup.
 */

%{
/* The same C function under a name of its own, so it can have its own typemaps. */
#define berth_java_lookup_utf8 berth_engine_lookup

/* The native address of a direct java.nio.ByteBuffer (0 if it is not direct). */
static int64_t berth_java_direct_address(JNIEnv *jenv, jobject buffer) {
  return (int64_t)(intptr_t)(*jenv)->GetDirectBufferAddress(jenv, buffer);
}
%}

%typemap(in, numinputs=0) JNIEnv *jenv "$1 = jenv;"
%typemap(jni) jobject buffer "jobject"
%typemap(jtype) jobject buffer "java.nio.ByteBuffer"
%typemap(jstype) jobject buffer "java.nio.ByteBuffer"
%typemap(javain) jobject buffer "$javainput"
%typemap(in) jobject buffer "$1 = $input;"
int64_t berth_java_direct_address(JNIEnv *jenv, jobject buffer);

%typemap(jni) const char *utf8_address "jlong"
%typemap(jtype) const char *utf8_address "long"
%typemap(jstype) const char *utf8_address "long"
%typemap(javain) const char *utf8_address "$javainput"
%typemap(in) const char *utf8_address %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(freearg) const char *utf8_address ""
%apply int { size_t utf8_len };

%typemap(jni) berth_result berth_java_lookup_utf8 "jlong"
%typemap(jtype) berth_result berth_java_lookup_utf8 "long"
%typemap(jstype) berth_result berth_java_lookup_utf8 "long"
%typemap(javaout) berth_result berth_java_lookup_utf8 { return $jnicall; }
%typemap(out) berth_result berth_java_lookup_utf8 "$result = 0;"
berth_result berth_java_lookup_utf8(berth_engine *engine, const char *utf8_address, size_t utf8_len,
                                    const char **out_owner, berth_error **err);

/*
 * The batch lookup of org.berth.Engine, the same way: the thread's direct buffer holds a block
 *   int64 count | int64 owners[count] (written here) | int32 ends[count] | the ids' UTF-8 back to back
 * (ends[i]: where id i ends, from the start of the UTF-8), and the call passes its address.
 */
%{
#define berth_java_lookup_batch_utf8 berth_engine_lookup_batch
%}
%typemap(jni) (const char *const *batch_ids, const size_t *batch_lens, size_t batch_count, const char **batch_owners) "jlong"
%typemap(jtype) (const char *const *batch_ids, const size_t *batch_lens, size_t batch_count, const char **batch_owners) "long"
%typemap(jstype) (const char *const *batch_ids, const size_t *batch_lens, size_t batch_count, const char **batch_owners) "long"
%typemap(javain) (const char *const *batch_ids, const size_t *batch_lens, size_t batch_count, const char **batch_owners) "$javainput"
%typemap(in) (const char *const *batch_ids, const size_t *batch_lens, size_t batch_count, const char **batch_owners)
    (void *index = NULL) {
  char *block = (char *)(intptr_t)$input;
  int64_t count, i;
  const int32_t *ends;
  const char *bytes;
  const char **ids;
  size_t *lens;
  int32_t start = 0;
  memcpy(&count, block, sizeof count);
  ends = (const int32_t *)(block + 8 + 8 * count);
  bytes = (const char *)(ends + count);
  index = malloc((size_t)(count > 0 ? count : 1) * (sizeof(const char *) + sizeof(size_t)));
  if (!index) {
    SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "batch lookup");
    return $null;
  }
  ids = (const char **)index;
  lens = (size_t *)(ids + count);
  for (i = 0; i < count; ++i) {
    ids[i] = bytes + start;
    lens[i] = (size_t)(ends[i] - start);
    start = ends[i];
  }
  $1 = ids;
  $2 = lens;
  $3 = (size_t)count;
  $4 = (const char **)(block + 8);
}
%typemap(freearg) (const char *const *batch_ids, const size_t *batch_lens, size_t batch_count, const char **batch_owners)
  "free(index$argnum);"
berth_result berth_java_lookup_batch_utf8(berth_engine *engine, const char *const *batch_ids, const size_t *batch_lens,
                                          size_t batch_count, const char **batch_owners, berth_error **err);
