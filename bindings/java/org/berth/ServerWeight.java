package org.berth;

import java.util.Map;

/**
 * A server's weight in a snapshot (docs/catalogue.md, "Dynamic weights").
 *
 * @param configuredCapacity the capacity before the weigher's factor
 * @param factor the effective factor (the capacity placement uses is their product); 1 without a
 *     weigher
 * @param signals the smoothed signals by name, ascending
 */
public record ServerWeight(double configuredCapacity, double factor, Map<String, Double> signals) {}
