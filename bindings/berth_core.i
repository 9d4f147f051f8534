/*
 * SWIG interface for the Berth host C API (berth/berth.h), shared by Python and Java.
 *
 * Layout (GDAL's): this file holds what both languages share and includes one .i per handle
 * (options.i, engine.i, snapshot.i, events.i, ownership.i, catalogue.i, metrics.i); the language-specific
 * typemaps live in python/berth_python.i and java/berth_java.i. The idiomatic classes
 * (berth.Engine, org.berth.Engine, ...) are thin wrappers over this generated module.
 *
 * Errors: every fallible call takes `berth_error **err` last. One typemap (per language) hides
 * it, checks it after the call and raises the language's exception with the code and message,
 * then frees the berth_error. Exceptions are always on.
 */
%module berth_swig

%{
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "berth/berth.h"
/* The return type of every fallible call, so typemaps can tell it from plain int32_t values. */
typedef int32_t berth_result;
%}

%include <stdint.i>
%include <typemaps.i>

typedef int32_t berth_result;

/* berth_error and berth_string_free are used by the typemaps; they are not part of the bindings. */
%ignore berth_error_code;
%ignore berth_error_message;
%ignore berth_error_free;
%ignore berth_string_free;

#if defined(SWIGPYTHON)
%include "python/berth_python.i"
#elif defined(SWIGJAVA)
%include "java/berth_java.i"
#else
#error "Berth bindings: only Python and Java are supported"
#endif

/* The result codes (BERTH_OK, BERTH_E_*) as constants, from their one list. */
%include "berth/result_codes.h"

const char *berth_version(void);
uint32_t berth_api_version(void);

%include "options.i"
%include "engine.i"
%include "snapshot.i"
%include "events.i"
%include "ownership.i"
%include "catalogue.i"
%include "catalogue_rest.i"
%include "metrics.i"
%include "log.i"

/*
 * The structs and constants of berth.h from berth.h itself, so a field appended there is wrapped
 * with no edit here: berth_engine_status, berth_metrics, berth_event, BERTH_EVENT_*,
 * berth_ownership_event, BERTH_OWNERSHIP_*,
 * BERTH_API_VERSION_*. Its functions are skipped: the .i files above declare them, returning
 * berth_result so the typemaps can tell a result code from other integers.
 */
%rename("$ignore", %$isfunction) "";
%include "berth/berth.h"
%rename("%s", %$isfunction) "";

#if defined(SWIGJAVA)
%include "java/berth_java_lookup.i"
#endif
