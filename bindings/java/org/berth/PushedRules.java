package org.berth;

/**
 * What {@link Engine#pushRules} submitted.
 *
 * @param hash the script's hash, for {@link Engine#waitRules}: an unsigned 64-bit value carried in
 *     a signed long, so it may be negative (print it with {@link Long#toUnsignedString(long)})
 * @param replacesVersion the shared rules version in force when pushed (0: none)
 */
public record PushedRules(long hash, long replacesVersion) {}
