/*
 * -config.expand-env: environment references in the config file's text
 * replaced before it is parsed, with the semantics of the
 * github.com/drone/envsubst that Tempo 1.5 vendors (docs/CONFIG.md):
 *   ${VAR}               the variable's value; "" when unset
 *   ${VAR:-default}      default when VAR is unset or empty; so are
 *                        ${VAR:=d}, ${VAR=d}, ${VAR:?d} and ${VAR:+d} (envsubst
 *                        reads them all as "default", unlike a shell)
 *   default text         taken as it is ($$ and \\ stay), ${...} inside expand
 *   $$                   a literal $ (so $${VAR} is the text ${VAR})
 *   \\ and \/            a literal \ and / (outside ${...} only)
 *   $VAR                 left as it is: only the braced form expands
 * envsubst's string functions (${#VAR}, ${VAR:1:2}, ${VAR/a/b}, ${VAR^^},
 * ${VAR%x}, ${VAR#x}, ...) are refused with the line, not half-done, as
 * are the malformed references envsubst refuses (${}, ${VAR, ${VAR-d}).
 */
#ifndef TC_CONFIG_ENVSUBST_H
#define TC_CONFIG_ENVSUBST_H

#include <stddef.h>

#include "src/util/buf.h"

/*
 * Appends in[0..len) with references expanded to out; name stands for the
 * text in messages ("<name>:<line>: ..."). TC_EINVALID for a malformed or
 * unsupported reference, TC_ELIMIT past TC_CFGYAML_MAX_FILE bytes of output
 * or 32 nested references.
 */
int tc_envsubst(tc_buf *out, const char *in, size_t len, const char *name);

#endif
