/* select(data, begin, end): bytes [begin, end) of a Blob (or entries of a Tree), as a Selection thunk.
 * The data usually arrives as a Ref (a Shallow encode), so this procedure cannot read it and does not
 * need it loaded: it returns Selection([Identification(data), begin, end]), and the evaluator fetches
 * only the range when it forces that. */
#include <fixnet/guest.h>

fixnet_handle _fixnet_apply(fixnet_handle encode) {
  fixnet_handle range[3] = {fixnet_identification(fixnet_arg(encode, 0)), fixnet_arg(encode, 1),
                            fixnet_arg(encode, 2)};
  return fixnet_selection(fixnet_tree_create(range, 3));
}
