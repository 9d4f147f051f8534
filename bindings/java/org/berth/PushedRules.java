package org.berth;

/**
 * What {@link Engine#pushRules} submitted.
 *
 * @param hash the script's hash (unsigned, in a long's bits), for {@link Engine#waitRules}
 * @param replacesVersion the shared rules version in force when pushed (0: none)
 */
public record PushedRules(long hash, long replacesVersion) {}
