package org.berth;

import java.util.List;
import java.util.Optional;

/**
 * Why the served snapshot puts a stream where it does ({@link Engine#locateWhy}).
 *
 * @param stream the stream asked about
 * @param decision the policy's decision as far as the version tells it
 * @param version of the snapshot that answered
 * @param detail one sentence naming the servers involved
 * @param rulesEvaluated the rules were evaluated for this stream alone
 * @param rule "script:line" of the rule that set its servers; empty: none did
 * @param allowed the servers the rules allow; empty: every server
 * @param preferred the servers the rules prefer
 * @param rulesNote why the rules were not evaluated, or their first problem; empty: none
 */
public record PlacementWhy(String stream, PlacementDecision decision, long version, String detail,
    boolean rulesEvaluated, Optional<String> rule, List<String> allowed, List<String> preferred,
    Optional<String> rulesNote) {}
