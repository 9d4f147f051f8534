/*
 * Berth result codes, shared by the plugin ABI and the host C API: the one list every other
 * copy is made from. 0 is success; everything else is an error whose text is in the status or
 * error object.
 *
 * The build reads this file (abi/result_codes.cmake): each code is one line of the form
 *     #define BERTH_<SYMBOL> <value> followed by a comment "<name>: <meaning>"
 * and from it come core's code names, the SWIG constants (the bindings include this file), the
 * Python exceptions (berth.errors) and the Java exception classes (org.berth.*Exception), so a
 * new code is one line here. A line starting with "#define BERTH_" that does not have that form
 * stops the build. A new code bumps both BERTH_ABI_MINOR (berth/abi.h) and
 * BERTH_API_VERSION_MINOR (berth/berth.h); a code is never renumbered or reused.
 */
#ifndef BERTH_RESULT_CODES_H
#define BERTH_RESULT_CODES_H

#define BERTH_OK 0                 /* ok: success */
#define BERTH_E_INVALID_ARGUMENT 1 /* invalid argument: a caller passed something malformed */
#define BERTH_E_NOT_FOUND 2        /* not found: a named thing, e.g. a plugin file, does not exist */
#define BERTH_E_NO_SERVERS 3       /* no servers: placement asked for with no server able to take streams */
#define BERTH_E_FENCED 4           /* fenced: a publish by a leader that has been deposed */
#define BERTH_E_CONFIG 5           /* configuration error: a bad configuration key or value; the message names it */
#define BERTH_E_PLUGIN 6           /* plugin error: a plugin failed to load, was rejected, or misbehaved */
#define BERTH_E_UNAVAILABLE 7      /* unavailable: the backend cannot be reached; the last snapshot is still served */
#define BERTH_E_CORRUPT 8          /* corrupt data: bytes that do not decode */
#define BERTH_E_PERMISSION 9       /* permission denied: the backend refused the credential */
#define BERTH_E_STATE 10           /* wrong state: the call does not fit the object's state, e.g. refresh on a follower or a closed handle */
#define BERTH_E_INTERNAL 11        /* internal error: a bug in Berth, an invariant broke or an exception escaped */
#define BERTH_E_TIMEOUT 12         /* timeout: a wait ran out of time */

#endif /* BERTH_RESULT_CODES_H */
