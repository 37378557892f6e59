/* wordcount(text, chunk, add): the number of words (runs of non-blank bytes) in text, as a u64.
 *
 * A text of at most `chunk` bytes is counted directly. A longer one is split: chunk i becomes the
 * thunk wordcount(Selection(text, [b - 1, e)), chunk, add, 1), where the extra first byte only says
 * whether a word continues across the cut (the trailing 1 marks it), and the result is
 * add(Strict(count0), Strict(count1), ...): the chunks are counted in parallel, then merged. The text may
 * arrive as a Ref (a Shallow encode): splitting it reads nothing but its size. */
#include "scratch.h"

#define BUFFER 4096

static int blank(uint8_t c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static uint64_t count_words(fixnet_handle text, int has_previous) {
  static uint8_t buffer[BUFFER];
  const uint64_t size = fixnet_size(text);
  uint64_t words = 0;
  int previous_blank = 1;
  for (uint64_t offset = 0; offset < size; offset += BUFFER) {
    const uint32_t len = (uint32_t)(size - offset < BUFFER ? size - offset : BUFFER);
    fixnet_blob_read(text, offset, buffer, len);
    for (uint32_t i = 0; i < len; ++i) {
      const int is_blank = blank(buffer[i]);
      const int counted = !(has_previous && offset == 0 && i == 0);
      if (counted && !is_blank && previous_blank) ++words;
      previous_blank = is_blank;
    }
  }
  return words;
}

fixnet_handle _fixnet_apply(fixnet_handle encode) {
  const fixnet_handle limits = fixnet_tree_entry(encode, FIXNET_ENCODE_LIMITS);
  const fixnet_handle self = fixnet_tree_entry(encode, FIXNET_ENCODE_PROCEDURE);
  const fixnet_handle text = fixnet_arg(encode, 0);
  const fixnet_handle chunk_handle = fixnet_arg(encode, 1);
  const fixnet_handle add = fixnet_arg(encode, 2);
  const int has_previous = fixnet_arg_count(encode) > 3 && fixnet_blob_u64(fixnet_arg(encode, 3));
  const uint64_t chunk = fixnet_blob_u64(chunk_handle);
  if (chunk < 2) FIXNET_FAIL("wordcount: the chunk size must be at least 2 bytes");

  const uint64_t size = fixnet_size(text);
  if (size <= chunk) {
    if (fixnet_is_ref(text)) FIXNET_FAIL("wordcount: a text small enough to count must be accessible");
    return fixnet_blob_from_u64(count_words(text, has_previous), 8);
  }
  /* Pieces of chunk - 1 bytes, each with the byte before it: chunk bytes per child, so no child splits. */
  const uint64_t piece = chunk - 1;
  const uint64_t pieces = (size + piece - 1) / piece;
  fixnet_handle* sum = scratch((pieces + 2) * sizeof(fixnet_handle));
  sum[0] = limits;
  sum[1] = add;
  const fixnet_handle whole = fixnet_identification(text); /* forcing it gives the text, Ref or not */
  for (uint64_t i = 0; i < pieces; ++i) {
    const uint64_t begin = i * piece, end = begin + piece < size ? begin + piece : size;
    fixnet_handle range[3] = {whole, fixnet_blob_from_u64(begin ? begin - 1 : 0, 8),
                              fixnet_blob_from_u64(end, 8)};
    const fixnet_handle slice = fixnet_strict(fixnet_selection(fixnet_tree_create(range, 3)));
    fixnet_handle call[6] = {limits,       self, slice,
                             chunk_handle, add,  fixnet_blob_from_u64(begin ? 1 : has_previous, 1)};
    sum[2 + i] = fixnet_strict(fixnet_application(fixnet_tree_create(call, 6)));
  }
  return fixnet_application(fixnet_tree_create(sum, (uint32_t)(pieces + 2)));
}
