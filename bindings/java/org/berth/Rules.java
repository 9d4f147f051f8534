package org.berth;

/**
 * The shared rules a snapshot carries.
 *
 * @param version 0 (and an empty script) when none was pushed
 * @param hash the script's hash: an unsigned 64-bit value carried in a signed long, so it may be
 *     negative (print it with {@link Long#toUnsignedString(long)})
 * @param script the Lua script
 */
public record Rules(long version, long hash, String script) {}
