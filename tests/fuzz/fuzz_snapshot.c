/* cheese-reporter's changelog records: snapshot_decode on any bytes; what it
 * accepts, snapshot_encode writes back to a record that decodes to the same
 * topic, partition, next offset and counts, and that record encodes to
 * itself (the counts' caps apply once). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "snapshot.h"
#include "tally.h"

static int same_counts(struct tally *a, struct tally *b) {
    json_t *ja = tally_json(a), *jb = tally_json(b);
    FUZZ_CHECK(ja && jb, "tally_json failed");
    int eq = json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct snapshot s, back;
    char err[256] = "";
    size_t len = 0, len2 = 0;
    if (snapshot_decode(&s, data, size, err, sizeof(err)) == -1) {
        FUZZ_CHECK(err[0] != '\0' && s.counts == NULL, "a rejection without a reason");
        return 0;
    }
    FUZZ_CHECK(s.topic[0] && s.partition >= 0 && s.next_offset >= 0 && s.counts, "decoded");
    char *text = snapshot_encode(s.topic, s.partition, s.next_offset, s.counts, &len);
    FUZZ_CHECK(text && len == strlen(text), "snapshot_encode failed");
    FUZZ_CHECK(snapshot_decode(&back, text, len, err, sizeof(err)) == 0, "re-encoded: %s: %s", err,
               text);
    FUZZ_CHECK(strcmp(back.topic, s.topic) == 0 && back.partition == s.partition &&
                   back.next_offset == s.next_offset,
               "re-encoded differs: %s", text);
    FUZZ_CHECK(same_counts(back.counts, s.counts), "counts differ: %s", text);
    char *again = snapshot_encode(back.topic, back.partition, back.next_offset, back.counts, &len2);
    FUZZ_CHECK(again && len2 == len && memcmp(again, text, len) == 0, "not stable: %s / %s", text,
               again);
    char key[PIZZA_SNAPSHOT_TOPIC_MAX + 16];
    int klen = snapshot_key(key, sizeof(key), s.topic, s.partition);
    FUZZ_CHECK(klen > 0 && (size_t)klen == strlen(key), "snapshot_key");
    free(again);
    free(text);
    snapshot_clear(&back);
    snapshot_clear(&s);
    return 0;
}
