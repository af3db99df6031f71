/*
 * test_filters_ext.c: the library filters and tests of filters_ext.c and
 * tests_ext.c, called through tmpl_find_filter() and tmpl_find_test() with
 * a hand-built struct tmpl_call.
 *
 * Every expected value in cases[] is what ansible-core 2.14 (Debian 12,
 * Python 3.11, PyYAML 6 with libyaml) returned for the same call of its own
 * filter or test: the Python repr() of the result, or "!" and the error
 * message; "!" alone means it must fail, with PCRE2's wording or ours.
 * Input and arguments are YAML, loaded as Ansible's SafeLoader loads them.
 * regex_replace(count=) is newer than 2.14: its oracle is Python's re.sub.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template/filters.h"
#include "value.h"
#include "yaml_load.h"

struct tcase {
	char		 kind;		/* 'f' filter, 't' test */
	const char	*name;
	const char	*in;		/* YAML */
	const char	*args;		/* YAML list, or NULL */
	const char	*kw;		/* YAML mapping, or NULL */
	const char	*want;		/* repr, or "!" and the error */
};

static const struct tcase cases[] = {
	/* regex_replace */
	{ 'f', "regex_replace", "'a.b'", "['\\.', '-']", NULL, "'a-b'" },
	{ 'f', "regex_replace", "'abxd'", "['x*', '-']", NULL, "'-a-b--d-'" },
	{ 'f', "regex_replace", "'abc'", "['', '-']", NULL, "'-a-b-c-'" },
	{ 'f', "regex_replace",
	    "'hello world'",
	    "['(\\w+) (\\w+)', '\\2 \\1']", NULL,
	    "'world hello'" },
	{ 'f', "regex_replace",
	    "'key=val'",
	    "['(?P<k>\\w+)=(?P<v>\\w+)', '\\g<v>=\\g<k>']", NULL,
	    "'val=key'" },
	{ 'f', "regex_replace", "'abc'", "['b', '[\\g<0>]']", NULL, "'a[b]c'" },
	{ 'f', "regex_replace",
	    "'a,b,c'",
	    "[',', '\\n']", NULL,
	    "'a\\nb\\nc'" },
	{ 'f', "regex_replace",
	    "'a,b'",
	    "[',', '\\t\\\\']", NULL,
	    "'a\\t\\\\b'" },
	{ 'f', "regex_replace", "'a.b'", "['\\.', '\\.']", NULL, "'a\\\\.b'" },
	{ 'f', "regex_replace",
	    "'a.b'",
	    "['\\.', '\\101\\0']", NULL,
	    "'aA\\x00b'" },
	{ 'f', "regex_replace", "'ABC'", "['b', 'x', true]", NULL, "'AxC'" },
	{ 'f', "regex_replace",
	    "\"a\\nb\\n\"",
	    "['^', '>']", "{multiline: true}",
	    "'>a\\n>b\\n>'" },
	{ 'f', "regex_replace",
	    "\"a\\nb\\n\"",
	    "['^', '>']", NULL,
	    "'>a\\nb\\n'" },
	{ 'f', "regex_replace",
	    "\"a12\\n\"",
	    "['\\d+\\Z', 'N']", NULL,
	    "'a12\\n'" },
	{ 'f', "regex_replace",
	    "\"a12\\n\"",
	    "['\\d+$', 'N']", NULL,
	    "'aN\\n'" },
	{ 'f', "regex_replace", "'aaa'", "['a{,2}', 'X']", NULL, "'XXX'" },
	{ 'f', "regex_replace", "'a{}'", "['a{}', 'X']", NULL, "'X'" },
	{ 'f', "regex_replace",
	    "'ab:[c] x:]'",
	    "['[[:alpha:]]+', 'X']", NULL,
	    "'ab:[c] xX'" },
	{ 'f', "regex_replace",
	    "'héllo wörld'",
	    "['\\w+', 'X']", NULL,
	    "'X X'" },
	{ 'f', "regex_replace",
	    "'ÄÖü'",
	    "['ä|ö|Ü', 'x']", "{ignorecase: true}",
	    "'xxx'" },
	{ 'f', "regex_replace", "'café'", "['\\u00e9', 'e']", NULL, "'cafe'" },
	{ 'f', "regex_replace", "'ab'", "['(x)?b', '[\\1]']", NULL, "'a[]'" },
	{ 'f', "regex_replace", "12345", "['3', 'x']", NULL, "'12x45'" },
	{ 'f', "regex_replace", "true", "['ru', 'RU']", NULL, "'TRUe'" },
	{ 'f', "regex_replace",
	    "'price: $100'",
	    "['(?<=\\$)\\d+', 'N']", NULL,
	    "'price: $N'" },
	{ 'f', "regex_replace", "'hello'", "['(l)\\1', 'L']", NULL, "'heLo'" },
	{ 'f', "regex_replace",
	    "\"a\\u000bb\\nc\"",
	    "['\\v', '-']", NULL,
	    "'a-b\\nc'" },
	{ 'f', "regex_replace", "'<a><b>'", "['<.*?>', 'X']", NULL, "'XX'" },
	{ 'f', "regex_replace",
	    "'ab'",
	    "[\"(?x) a  # [not a class\\n"
	    " b\", 'X']",
	    NULL,
	    "'X'" },
	{ 'f', "regex_replace",
	    "'ab'",
	    "['(a)', '\\2']", NULL,
	    "!invalid group reference 2 at position 1" },
	{ 'f', "regex_replace",
	    "'ab'",
	    "['(a)', '\\q']", NULL,
	    "!bad escape \\q at position 0" },
	{ 'f', "regex_replace",
	    "'ab'",
	    "['(a)', '\\g<x>']", NULL,
	    "!unknown group name 'x'" },
	{ 'f', "regex_replace",
	    "'ab'",
	    "['(a)', '\\g<1a>']", NULL,
	    "!bad character in group name '1a' at position 3" },
	{ 'f', "regex_replace",
	    "'ab'",
	    "['(a)', '\\g<>']", NULL,
	    "!missing group name at position 3" },
	{ 'f', "regex_replace",
	    "'ab'",
	    "['(a)', 'x\\']", NULL,
	    "!bad escape (end of pattern) at position 1" },
	{ 'f', "regex_replace", "'ab'", "['(', 'x']", NULL, "!" },
	{ 'f', "regex_replace", "'ab'", "['\\q', 'x']", NULL, "!" },
	{ 'f', "regex_replace", "'ab'", "['a(?i)b', 'x']", NULL, "!" },
	{ 'f', "regex_replace", "'aaa'", "['a', 'b']", "{count: 2}", "'bba'" },
	{ 'f', "regex_replace",
	    "'a'",
	    "['[a-c]?(?>\\{?|x)\\D', 'X']", NULL,
	    "'X'" },
	{ 'f', "regex_replace", "'ab'", "['^*', 'X']", NULL, "!" },
	/* regex_search */
	{ 'f', "regex_search",
	    "'hello world'",
	    "['wor\\w+']", NULL,
	    "'world'" },
	{ 'f', "regex_search", "'hello world'", "['xyz']", NULL, "None" },
	{ 'f', "regex_search", "'abc'", "['x*']", NULL, "''" },
	{ 'f', "regex_search",
	    "'user=bob'",
	    "['(\\w+)=(\\w+)', '\\2', '\\1']", NULL,
	    "['bob', 'user']" },
	{ 'f', "regex_search",
	    "'user=bob'",
	    "['(?P<k>\\w+)=(?P<v>\\w+)', '\\g<v>']", NULL,
	    "['bob']" },
	{ 'f', "regex_search",
	    "'ab'",
	    "['(a)(c)?', '\\2', '\\1']", NULL,
	    "[None, 'a']" },
	{ 'f', "regex_search",
	    "'ab'",
	    "['(a)', '\\3']", NULL,
	    "!no such group" },
	{ 'f', "regex_search", "'xyz'", "['(a)', '\\3']", NULL, "None" },
	{ 'f', "regex_search",
	    "'ab'",
	    "['(a)', '\\g<1>']", NULL,
	    "!no such group" },
	{ 'f', "regex_search",
	    "'ab'",
	    "['(a)', 'x']", NULL,
	    "!Unknown argument" },
	{ 'f', "regex_search",
	    "'ab'",
	    "['(a)', '\\x']", NULL,
	    "!'NoneType' object has no attribute 'group'" },
	{ 'f', "regex_search",
	    "'HELLO'",
	    "['hel+']", "{ignorecase: true}",
	    "'HELL'" },
	{ 'f', "regex_search",
	    "\"a\\nfoo\"",
	    "['^foo']", "{multiline: true}",
	    "'foo'" },
	{ 'f', "regex_search", "\"a\\nfoo\"", "['^foo']", NULL, "None" },
	/* regex_findall */
	{ 'f', "regex_findall",
	    "'a1b22c333'",
	    "['\\d+']", NULL,
	    "['1', '22', '333']" },
	{ 'f', "regex_findall",
	    "'k1=v1 k2=v2'",
	    "['(\\w+)=']", NULL,
	    "['k1', 'k2']" },
	{ 'f', "regex_findall",
	    "'k1=v1 k2=v2'",
	    "['(\\w)(\\d)=(x)?']", NULL,
	    "[('k', '1', ''), ('k', '2', '')]" },
	{ 'f', "regex_findall",
	    "'abxd'",
	    "['x*']", NULL,
	    "['', '', 'x', '', '']" },
	{ 'f', "regex_findall",
	    "\"a\\nb\"",
	    "['^\\w', true]", NULL,
	    "['a', 'b']" },
	{ 'f', "regex_findall",
	    "'aAb'",
	    "['a']", "{ignorecase: true}",
	    "['a', 'A']" },
	{ 'f', "regex_findall",
	    "'日本語 text'",
	    "['\\w+']", NULL,
	    "['日本語', 'text']" },
	/* regex_escape */
	{ 'f', "regex_escape",
	    "'a.b*c (x)'",
	    NULL, NULL,
	    "'a\\\\.b\\\\*c\\\\ \\\\(x\\\\)'" },
	{ 'f', "regex_escape",
	    "\"1+1=2 ~#&\\t\"",
	    NULL, NULL,
	    "'1\\\\+1=2\\\\ \\\\~\\\\#\\\\&\\\\\\t'" },
	{ 'f', "regex_escape",
	    "'a.b[c]^$*\\'",
	    "['posix_basic']", NULL,
	    "'a\\\\.b\\\\[c\\\\]\\\\^\\\\$\\\\*\\\\\\\\'" },
	{ 'f', "regex_escape",
	    "'x'",
	    "['posix_extended']", NULL,
	    "!Regex type (posix_extended) not yet implemented" },
	{ 'f', "regex_escape",
	    "'x'",
	    "['foo']", NULL,
	    "!Invalid regex type (foo)" },
	{ 'f', "regex_escape", "3.5", NULL, NULL, "'3\\\\.5'" },
	/* match */
	{ 't', "match", "'abc'", "['b']", NULL, "False" },
	{ 't', "match", "'abc'", "['a']", NULL, "True" },
	{ 't', "match", "''", "['\\B']", NULL, "False" },
	{ 't', "match",
	    "\"x\\nfoo\"",
	    "['^foo']", "{multiline: true}",
	    "False" },
	/* search */
	{ 't', "search", "'ab'", "['\\B']", NULL, "True" },
	{ 't', "search",
	    "\"x\\nfoo\"",
	    "['^foo']", "{multiline: true}",
	    "True" },
	{ 't', "search", "'abc'", "['B']", "{ignorecase: true}", "True" },
	/* regex */
	{ 't', "regex", "'abc'", "['^b']", NULL, "False" },
	{ 't', "regex", "'abc'", "['b']", "{match_type: match}", "False" },
	{ 't', "regex", "'abc'", "['ab']", "{match_type: fullmatch}", "False" },
	{ 't', "regex", "'abc'", "['a.c']", "{match_type: fullmatch}", "True" },
	/* version */
	{ 't', "version", "'1.2.10'", "['1.2.9', '>']", NULL, "True" },
	{ 't', "version", "'1.0'", "['1.0.0', '<']", NULL, "True" },
	{ 't', "version", "'1.0'", "['1.0']", NULL, "True" },
	{ 't', "version", "'2.0b1'", "['2.0', '<']", NULL, "False" },
	{ 't', "version",
	    "'1.0a'",
	    "['1.0.1', '<']", NULL,
	    "!Version comparison failed: '<' not supported between instan"
	    "ces of 'str' and 'int'" },
	{ 't', "version",
	    "'1.0.1'",
	    "['1.0a', '==']", NULL,
	    "!Version comparison failed: '<' not supported between instan"
	    "ces of 'int' and 'str'" },
	{ 't', "version", "'10'", "['9', 'gt']", NULL, "True" },
	{ 't', "version", "'1.0-rc1'", "['1.0-rc2', 'lt']", NULL, "True" },
	{ 't', "version", "'1.0RC1'", "['1.0rc1', '!=']", NULL, "True" },
	{ 't', "version", "'1.02'", "['1.2', 'eq']", NULL, "True" },
	{ 't', "version", "2", "['1.5', '>=']", NULL, "True" },
	{ 't', "version", "1.10", "['1.9', '<']", NULL, "True" },
	{ 't', "version", "'1.0a1'", "['1.0', '<']", "{strict: true}", "True" },
	{ 't', "version",
	    "'1.0.0'",
	    "['1.0', '==']", "{strict: true}",
	    "True" },
	{ 't', "version",
	    "'1.0b2'",
	    "['1.0a9', '>']", "{strict: true}",
	    "True" },
	{ 't', "version",
	    "'1.0x'",
	    "['1.0']", "{strict: true}",
	    "!Version comparison failed: invalid version number '1.0x'" },
	{ 't', "version",
	    "'1.0.0-alpha'",
	    "['1.0.0-alpha.1', '<']", "{version_type: semver}",
	    "True" },
	{ 't', "version",
	    "'1.0.0-alpha.1'",
	    "['1.0.0-alpha.beta', '<']", "{version_type: semver}",
	    "True" },
	{ 't', "version",
	    "'1.0.0-rc.1'",
	    "['1.0.0', '<']", "{version_type: semantic}",
	    "True" },
	{ 't', "version",
	    "'1.0.0-2'",
	    "['1.0.0-10', '<']", "{version_type: semver}",
	    "True" },
	{ 't', "version",
	    "'1.0.0+build.5'",
	    "['1.0.0', '==']", "{version_type: semver}",
	    "True" },
	{ 't', "version",
	    "'1.0'",
	    "['1.0.0']", "{version_type: semver}",
	    "!Version comparison failed: invalid semantic version '1.0'" },
	{ 't', "version",
	    "'1.0'",
	    "['1.0', 'foo']", NULL,
	    "!Invalid operator type (foo). Must be one of '==', '=', 'eq'"
	    ", '<', 'lt', '<=', 'le', '>', 'gt', '>=', 'ge', '!=', '<>', "
	    "'ne'" },
	{ 't', "version",
	    "'1.0'",
	    "['1.0']", "{version_type: foo}",
	    "!Invalid version type (foo). Must be one of 'loose', 'strict"
	    "', 'semver', 'semantic', 'pep440'" },
	{ 't', "version",
	    "'1.0'",
	    "['1.0']", "{strict: true, version_type: loose}",
	    "!Cannot specify both 'strict' and 'version_type'" },
	{ 't', "version",
	    "''",
	    "['1.0']", NULL,
	    "!Input version value cannot be empty" },
	{ 't', "version",
	    "'1.0'",
	    "['']", NULL,
	    "!Version parameter to compare against cannot be empty" },
	/* version_compare */
	{ 't', "version_compare", "'2.14.1'", "['2.9', '>']", NULL, "True" },
	/* truthy */
	{ 't', "truthy", "'no'", NULL, "{convert_bool: true}", "False" },
	{ 't', "truthy", "' Yes '", NULL, "{convert_bool: true}", "True" },
	{ 't', "truthy", "'false'", NULL, NULL, "True" },
	/* falsy */
	{ 't', "falsy", "''", NULL, NULL, "True" },
	{ 't', "falsy", "[]", NULL, NULL, "True" },
	{ 't', "falsy", "'off'", NULL, "{convert_bool: true}", "True" },
	/* hash */
	{ 'f', "hash",
	    "'test'",
	    NULL, NULL,
	    "'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'" },
	{ 'f', "hash",
	    "'test'",
	    "['md5']", NULL,
	    "'098f6bcd4621d373cade4e832627b4f6'" },
	{ 'f', "hash",
	    "'test'",
	    "['sha256']", NULL,
	    "'9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f"
	    "00a08'" },
	{ 'f', "hash",
	    "'test'",
	    "['sha512']", NULL,
	    "'ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940"
	    "e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f"
	    "50028a8ff'" },
	{ 'f', "hash",
	    "'test'",
	    "['blake2b']", NULL,
	    "'a71079d42853dea26e453004338670a53814b78137ffbed07603a41d76a"
	    "483aa9bc33b582f77d30a65e6f29a896c0411f38312e1d66e0bf16386c86"
	    "a89bea572'" },
	{ 'f', "hash",
	    "'test'",
	    "['sha3_256']", NULL,
	    "'36f028580bb02cc8272a9a020f4200e346e276ae664e45ee80745574e2f"
	    "5ab80'" },
	{ 'f', "hash",
	    "'test'",
	    "['SHA224']", NULL,
	    "'90a3ed9e32b2aaf4c61c410eb925426119e1a9dc53d4286ade99a809'" },
	{ 'f', "hash",
	    "'test'",
	    "['foo']", NULL,
	    "!unsupported hash type foo" },
	{ 'f', "hash",
	    "'test'",
	    "['shake_128']", NULL,
	    "!hexdigest() missing required argument 'length' (pos 1)" },
	{ 'f', "hash",
	    "123",
	    "['md5']", NULL,
	    "'202cb962ac59075b964b07152d234b70'" },
	{ 'f', "hash",
	    "[1, 2]",
	    NULL, NULL,
	    "'1bc866741052bd8253768ec5b044dc9b69fd25d9'" },
	/* md5 */
	{ 'f', "md5",
	    "'test'",
	    NULL, NULL,
	    "'098f6bcd4621d373cade4e832627b4f6'" },
	{ 'f', "md5", "'é'", NULL, NULL, "'66ddcd97cfdeabb2f6fb8a999b4bc76f'" },
	/* sha1 */
	{ 'f', "sha1",
	    "'test'",
	    NULL, NULL,
	    "'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'" },
	/* checksum */
	{ 'f', "checksum",
	    "'test'",
	    NULL, NULL,
	    "'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'" },
	/* b64encode */
	{ 'f', "b64encode", "'hello'", NULL, NULL, "'aGVsbG8='" },
	{ 'f', "b64encode", "'é☃'", NULL, NULL, "'w6nimIM='" },
	{ 'f', "b64encode", "'hi'", "['utf-16-le']", NULL, "'aABpAA=='" },
	{ 'f', "b64encode", "'hi'", "['utf-16']", NULL, "'//5oAGkA'" },
	{ 'f', "b64encode",
	    "'aé☃'",
	    "['ascii']", NULL,
	    "!'ascii' codec can't encode characters in position 1-2: ordi"
	    "nal not in range(128)" },
	{ 'f', "b64encode",
	    "'a☃'",
	    "['latin-1']", NULL,
	    "!'latin-1' codec can't encode character '\\u2603' in positio"
	    "n 1: ordinal not in range(256)" },
	/* b64decode */
	{ 'f', "b64decode", "'aGVsbG8='", NULL, NULL, "'hello'" },
	{ 'f', "b64decode", "\"aGVs bG8=\\n\"", NULL, NULL, "'hello'" },
	{ 'f', "b64decode", "'aGVsbG8=junk'", NULL, NULL, "'hello'" },
	{ 'f', "b64decode", "'YWJj='", NULL, NULL, "'abc'" },
	{ 'f', "b64decode", "'YW'", NULL, NULL, "!Incorrect padding" },
	{ 'f', "b64decode", "'YW=Jj'", NULL, NULL, "'abc'" },
	{ 'f', "b64decode",
	    "'YWJjZ'",
	    NULL, NULL,
	    "!Invalid base64-encoded string: number of data characters (5"
	    ") cannot be 1 more than a multiple of 4" },
	{ 'f', "b64decode", "'aABpAA=='", "['utf-16-le']", NULL, "'hi'" },
	/* to_yaml */
	{ 'f', "to_yaml",
	    "{a: 1, b: [1, 2]}",
	    NULL, NULL,
	    "'a: 1\\nb: [1, 2]\\n'" },
	{ 'f', "to_yaml",
	    "{a: {b: [1, {c: 2}]}, d: []}",
	    NULL, NULL,
	    "'a:\\n  b:\\n  - 1\\n"
	    "  - {c: 2}\\nd: []\\n"
	    "'" },
	{ 'f', "to_yaml",
	    "[{name: x, v: [1, 2]}, {name: y}]",
	    NULL, NULL,
	    "'- name: x\\n  v: [1, 2]\\n"
	    "- {name: y}\\n'" },
	{ 'f', "to_yaml",
	    "{b: 1, a: 2, c: {z: 1, y: 2}}",
	    NULL, NULL,
	    "'a: 2\\nb: 1\\nc: {y: 2, z: 1}\\n"
	    "'" },
	{ 'f', "to_yaml",
	    "{b: 1, a: 2}",
	    NULL, "{sort_keys: false}",
	    "'{b: 1, a: 2}\\n'" },
	{ 'f', "to_yaml", "{1: a, b: c}", NULL, NULL, "'{1: a, b: c}\\n'" },
	{ 'f', "to_yaml", "{2: a, 1: b}", NULL, NULL, "'{1: b, 2: a}\\n'" },
	{ 'f', "to_yaml",
	    "['yes', 'no', 'on', 'y', '1.0', '1', '0x1F', '1_000', '0o17'"
	    ", '017', 'null', '~', '', '2001-01-01', '2001-12-14 21:59:43"
	    ".10 -5', '<<', '=', '.inf', '.NaN', '1e3', '1.5e+3', '+1', '"
	    "-']",
	    NULL, NULL,
	    "\"['yes', 'no', 'on', y, '1.0', '1', '0x1F', '1_000', 0o17, "
	    "'017', 'null', '~', '',\\n"
	    "  '2001-01-01', '2001-12-14 21:59:43.10 -5', '<<', '=', '.in"
	    "f', '.NaN', 1e3, '1.5e+3',\\n"
	    "  '+1', '-']\\n\"" },
	{ 'f', "to_yaml",
	    "['a: b', '- x', '#x', 'x #y', '@foo', '`x', '''quoted''', '"
	    "\"dq\"', 'trailing ', ' leading', \"tab\\there\", \"bell\\u0"
	    "007\", 'café ☃', '!tag', '&a', '*a', '%x', '{x', '[x', '?', "
	    "'? x', ':x', 'x:', 'a,b', \"﻿bom\"]",
	    NULL, NULL,
	    "'[\\'a: b\\', \\'- x\\', \\'#x\\', \\'x #y\\', \\'@foo\\', "
	    "\\'`x\\', \\'\\'\\'quoted\\'\\'\\', \\'\"dq\"\\', \\'trailin"
	    "g \\', \\' leading\\',\\n"
	    "  \"tab\\\\there\", \"bell\\\\a\", café ☃, \\'!tag\\', \\'&a"
	    "\\', \\'*a\\', \\'%x\\', \\'{x\\', \\'[x\\', \\'?\\', \\'? x"
	    "\\',\\n  \\':x\\', \\'x:\\', \\'a,b\\', \"\\\\uFEFFbom\"]\\n"
	    "'" },
	{ 'f', "to_yaml", "\"a\\nb\"", NULL, NULL, "\"'a\\n\\n  b'\\n\"" },
	{ 'f', "to_yaml",
	    "\"a\\nb\\n\"",
	    NULL, NULL,
	    "\"'a\\n\\n  b\\n\\n  '\\n"
	    "\"" },
	{ 'f', "to_yaml",
	    "{k: \"line1\\nline2\\n"
	    "\", j: \"x\"}",
	    NULL, NULL,
	    "\"{j: x, k: 'line1\\n"
	    "\\n    line2\\n\\n    '}\\n"
	    "\"" },
	{ 'f', "to_yaml",
	    "'word word word word word word word word word word word word"
	    " word word word word word word word word word word word word"
	    " word word word word word word '",
	    NULL, NULL,
	    "\"'word word word word word word word word word word word wo"
	    "rd word word word word word\\n"
	    "  word word word word word word word word word word word wor"
	    "d word '\\n\"" },
	{ 'f', "to_yaml",
	    "{k: 'word word word word word word word word word word word "
	    "word word word word word word word word word word word word "
	    "word word '}",
	    NULL, NULL,
	    "\"{k: 'word word word word word word word word word word wor"
	    "d word word word word word\\n"
	    "    word word word word word word word word word '}\\n"
	    "\"" },
	{ 'f', "to_yaml",
	    "'word word word word word word word word word word '",
	    NULL, "{width: 20}",
	    "\"'word word word word word\\n"
	    "  word word word word\\n"
	    "  word '\\n\"" },
	{ 'f', "to_yaml",
	    "['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'yyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyyyyyyy']",
	    NULL, NULL,
	    "'[xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,\\n"
	    "  yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy]\\n"
	    "'" },
	{ 'f', "to_yaml",
	    "[1.5, 1.0e+20, 1.0e-5, .inf, -.inf, .nan, -0.0, 100.0]",
	    NULL, NULL,
	    "'[1.5, 1.0e+20, 1.0e-05, .inf, -.inf, .nan, -0.0, 100.0]\\n"
	    "'" },
	{ 'f', "to_yaml", "null", NULL, NULL, "'null\\n'" },
	{ 'f', "to_yaml", "true", NULL, NULL, "'true\\n'" },
	{ 'f', "to_yaml", "42", NULL, NULL, "'42\\n'" },
	{ 'f', "to_yaml", "'plain'", NULL, NULL, "'plain\\n'" },
	{ 'f', "to_yaml", "[]", NULL, NULL, "'[]\\n'" },
	{ 'f', "to_yaml", "{}", NULL, NULL, "'{}\\n'" },
	{ 'f', "to_yaml",
	    "[&x [1, 2], *x, &y {a: 1}, *y, *x]",
	    NULL, NULL,
	    "'- &id001 [1, 2]\\n- *id001\\n"
	    "- &id002 {a: 1}\\n- *id002\\n"
	    "- *id001\\n'" },
	{ 'f', "to_yaml",
	    "{a: 1}",
	    NULL, "{explicit_start: true, explicit_end: true}",
	    "'--- {a: 1}\\n...\\n'" },
	{ 'f', "to_yaml",
	    "{a: [1, 2]}",
	    NULL, "{default_flow_style: false}",
	    "'a:\\n- 1\\n- 2\\n'" },
	{ 'f', "to_yaml",
	    "{a: [1, {b: 2}]}",
	    NULL, "{default_flow_style: true}",
	    "'{a: [1, {b: 2}]}\\n'" },
	{ 'f', "to_yaml",
	    "{a: {b: [1, 2]}}",
	    NULL, "{indent: 4}",
	    "'a:\\n    b: [1, 2]\\n"
	    "'" },
	{ 'f', "to_yaml",
	    "{a: \"x\"}",
	    NULL, "{default_style: \"\\\"\"}",
	    "'\"a\": \"x\"\\n'" },
	{ 'f', "to_yaml",
	    "{a: 1}",
	    NULL, "{foo: 1}",
	    "!to_yaml - dump_all() got an unexpected keyword argument 'fo"
	    "o'" },
	{ 'f', "to_yaml",
	    "{a: 1}",
	    NULL, "{allow_unicode: false}",
	    "!to_yaml - yaml.dump() got multiple values for keyword argum"
	    "ent 'allow_unicode'" },
	/* to_nice_yaml */
	{ 'f', "to_nice_yaml",
	    "{k: \"line1\\nline2\\n"
	    "\", j: \"  indented\\n"
	    "x\", e: \"trailing\\n"
	    "\\n\"}",
	    NULL, NULL,
	    "\"e: 'trailing\\n\\n\\n"
	    "    '\\nj: '  indented\\n"
	    "\\n    x'\\nk: 'line1\\n"
	    "\\n    line2\\n\\n    '\\n"
	    "\"" },
	{ 'f', "to_nice_yaml",
	    "{a: 1, b: [1, 2], c: {d: [], e: {}}, f: [{g: 1, h: [x]}]}",
	    NULL, NULL,
	    "'a: 1\\nb:\\n- 1\\n- 2\\n"
	    "c:\\n    d: []\\n    e: {}\\n"
	    "f:\\n-   g: 1\\n    h:\\n"
	    "    - x\\n'" },
	{ 'f', "to_nice_yaml",
	    "{a: {b: [1, 2]}}",
	    "[2]", NULL,
	    "'a:\\n  b:\\n  - 1\\n"
	    "  - 2\\n'" },
	{ 'f', "to_nice_yaml",
	    "[[1, 2], [3]]",
	    NULL, NULL,
	    "'-   - 1\\n    - 2\\n"
	    "-   - 3\\n'" },
	{ 'f', "to_nice_yaml",
	    "{a: \"é☃\", b: \"yes\", c: \"\"}",
	    NULL, NULL,
	    "\"a: é☃\\nb: 'yes'\\n"
	    "c: ''\\n\"" },
	{ 'f', "to_nice_yaml",
	    "{a: 1}",
	    NULL, "{default_flow_style: true}",
	    "!to_nice_yaml - yaml.dump() got multiple values for keyword "
	    "argument 'default_flow_style'" },
	/* from_yaml */
	{ 'f', "from_yaml",
	    "\"a: 1\\nb: [x, \\\"y\\\"]\\n"
	    "c: yes\\nd: 0755\\ne: ~\\n"
	    "\"",
	    NULL, NULL,
	    "{'a': 1, 'b': ['x', 'y'], 'c': True, 'd': 493, 'e': None}" },
	{ 'f', "from_yaml", "5", NULL, NULL, "5" },
	{ 'f', "from_yaml",
	    "\"a: 1\\n---\\nb: 2\\n"
	    "\"",
	    NULL, NULL,
	    "!" },
	/* from_yaml_all */
	{ 'f', "from_yaml_all",
	    "\"a: 1\\n---\\nb: 2\\n"
	    "\"",
	    NULL, NULL,
	    "[{'a': 1}, {'b': 2}]" },
	/* from_json */
	{ 'f', "from_json",
	    "'{\"a\": [1, 2.5, \"x\\u00e9\", null, true, false], \"b\": {"
	    "}}'",
	    NULL, NULL,
	    "{'a': [1, 2.5, 'xé', None, True, False], 'b': {}}" },
	{ 'f', "from_json",
	    "' [1e3, -0, 1E-2, \"\\ud83d\\ude00\"] '",
	    NULL, NULL,
	    "[1000.0, 0, 0.01, '😀']" },
	{ 'f', "from_json", "'NaN'", NULL, NULL, "nan" },
	{ 'f', "from_json",
	    "'[1,'",
	    NULL, NULL,
	    "!Expecting value: line 1 column 4 (char 3)" },
	{ 'f', "from_json",
	    "'{\"a\" 1}'",
	    NULL, NULL,
	    "!Expecting ':' delimiter: line 1 column 6 (char 5)" },
	{ 'f', "from_json",
	    "'[1] x'",
	    NULL, NULL,
	    "!Extra data: line 1 column 5 (char 4)" },
	{ 'f', "from_json",
	    "'{\"a\":1,}'",
	    NULL, NULL,
	    "!Expecting property name enclosed in double quotes: line 1 c"
	    "olumn 8 (char 7)" },
	{ 'f', "from_json",
	    "''",
	    NULL, NULL,
	    "!Expecting value: line 1 column 1 (char 0)" },
	{ 'f', "from_json",
	    "\"[\\n1,\\n]\"",
	    NULL, NULL,
	    "!Expecting value: line 3 column 1 (char 5)" },
	{ 'f', "from_json",
	    "'\"\\q\"'",
	    NULL, NULL,
	    "!Invalid \\escape: line 1 column 2 (char 1)" },
	{ 'f', "from_json",
	    "'\"é\\u12x4\"'",
	    NULL, NULL,
	    "!Invalid \\uXXXX escape: line 1 column 4 (char 3)" },
	{ 'f', "from_json",
	    "'\"abc'",
	    NULL, NULL,
	    "!Unterminated string starting at: line 1 column 1 (char 0)" },
	{ 'f', "from_json",
	    "'01'",
	    NULL, NULL,
	    "!Extra data: line 1 column 2 (char 1)" },
	{ 'f', "from_json", "'{\"a\": 1, \"a\": 2}'", NULL, NULL, "{'a': 2}" },
	{ 'f', "from_json",
	    "5",
	    NULL, NULL,
	    "!the JSON object must be str, bytes or bytearray, not int" },
	/* to_json */
	{ 'f', "to_json",
	    "{a: [1, 2.5, null, true], b: \"é\"}",
	    NULL, NULL,
	    "'{\"a\": [1, 2.5, null, true], \"b\": \"\\\\u00e9\"}'" },
	{ 'f', "to_json",
	    "{a: [1, 2.5, null, true], b: \"é\"}",
	    NULL, "{ensure_ascii: false}",
	    "'{\"a\": [1, 2.5, null, true], \"b\": \"é\"}'" },
	{ 'f', "to_json",
	    "{b: [1, {c: 2}], a: []}",
	    NULL, "{indent: 2}",
	    "'{\\n  \"b\": [\\n    1,\\n"
	    "    {\\n      \"c\": 2\\n"
	    "    }\\n  ],\\n  \"a\": []\\n"
	    "}'" },
	{ 'f', "to_json",
	    "{b: 1, a: 2}",
	    NULL, "{sort_keys: true}",
	    "'{\"a\": 2, \"b\": 1}'" },
	{ 'f', "to_json",
	    "{b: 1, 2: a}",
	    NULL, "{sort_keys: true}",
	    "!'<' not supported between instances of 'int' and 'str'" },
	/* to_nice_json */
	{ 'f', "to_nice_json",
	    "[{a: 1, 2: b, c: 3}]",
	    NULL, NULL,
	    "!'<' not supported between instances of 'int' and 'str'" },
	{ 'f', "to_nice_json",
	    "{b: [1, {c: 2}], a: \"x\", c: {}}",
	    NULL, NULL,
	    "'{\\n    \"a\": \"x\",\\n"
	    "    \"b\": [\\n        1,\\n"
	    "        {\\n            \"c\": 2\\n"
	    "        }\\n    ],\\n"
	    "    \"c\": {}\\n}'" },
	{ 'f', "to_nice_json",
	    "{b: 1, a: [2]}",
	    "[2]", NULL,
	    "'{\\n  \"a\": [\\n    2\\n"
	    "  ],\\n  \"b\": 1\\n}'" },
	{ 'f', "to_nice_json",
	    "[1.0, .inf]",
	    NULL, NULL,
	    "'[\\n    1.0,\\n    Infinity\\n"
	    "]'" },
	/* random */
	{ 'f', "random", "10", NULL, "{seed: 1}", "2" },
	{ 'f', "random", "100", NULL, "{seed: abc}", "98" },
	{ 'f', "random",
	    "1000000",
	    NULL, "{seed: myhost.example.com}",
	    "544769" },
	{ 'f', "random", "1000000", NULL, "{seed: \"\"}", "476559" },
	{ 'f', "random", "60", NULL, "{seed: web01}", "22" },
	{ 'f', "random", "[a, b, c, d, e]", NULL, "{seed: x}", "'c'" },
	{ 'f', "random", "'abcdef'", NULL, "{seed: 5}", "'e'" },
	{ 'f', "random", "100", NULL, "{start: 5, step: 5, seed: 3}", "40" },
	{ 'f', "random", "1099511627776", NULL, "{seed: 7}", "868231286071" },
	{ 'f', "random", "1000", NULL, "{seed: 1.5}", "565" },
	{ 'f', "random", "1000", NULL, "{seed: -5}", "637" },
	{ 'f', "random", "1000", NULL, "{seed: 1099511627776}", "106" },
	{ 'f', "random", "1000", NULL, "{seed: true}", "137" },
	{ 'f', "random",
	    "0",
	    NULL, "{seed: 1}",
	    "!empty range for randrange() (0, 0, 0)" },
	{ 'f', "random",
	    "1.5",
	    NULL, "{seed: 1}",
	    "!random can only be used on sequences and integers" },
	{ 'f', "random",
	    "[1, 2]",
	    NULL, "{start: 1}",
	    "!start and step can only be used with integer values" },
	{ 'f', "random",
	    "[]",
	    NULL, "{seed: 1}",
	    "!Cannot choose from an empty sequence" },
	/* shuffle */
	{ 'f', "shuffle",
	    "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
	    NULL, "{seed: abc}",
	    "[5, 4, 1, 10, 2, 3, 7, 6, 8, 9]" },
	{ 'f', "shuffle",
	    "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
	    "[42]", NULL,
	    "[8, 4, 3, 9, 6, 7, 10, 5, 1, 2]" },
	{ 'f', "shuffle",
	    "'abcdef'",
	    NULL, "{seed: 1}",
	    "['c', 'd', 'f', 'a', 'e', 'b']" },
	{ 'f', "shuffle",
	    "{a: 1, b: 2, c: 3}",
	    NULL, "{seed: 2}",
	    "['b', 'c', 'a']" },
	{ 'f', "shuffle", "5", NULL, "{seed: 2}", "5" },
	/* basename */
	{ 'f', "basename", "'/etc/hosts'", NULL, NULL, "'hosts'" },
	{ 'f', "basename", "'/etc/'", NULL, NULL, "''" },
	{ 'f', "basename", "'file'", NULL, NULL, "'file'" },
	/* dirname */
	{ 'f', "dirname", "'/etc/hosts'", NULL, NULL, "'/etc'" },
	{ 'f', "dirname", "'/etc//x'", NULL, NULL, "'/etc'" },
	{ 'f', "dirname", "'//x'", NULL, NULL, "'//'" },
	{ 'f', "dirname", "'x'", NULL, NULL, "''" },
	{ 'f', "dirname", "'/'", NULL, NULL, "'/'" },
	/* quote */
	{ 'f', "quote", "'hello'", NULL, NULL, "'hello'" },
	{ 'f', "quote", "'it''s'", NULL, NULL, "'\\'it\\'\"\\'\"\\'s\\''" },
	{ 'f', "quote", "''", NULL, NULL, "\"''\"" },
	{ 'f', "quote", "'a b'", NULL, NULL, "\"'a b'\"" },
	{ 'f', "quote", "'é'", NULL, NULL, "\"'é'\"" },
	{ 'f', "quote", "null", NULL, NULL, "\"''\"" },
	{ 'f', "quote", "'-_@%+=:,./x9'", NULL, NULL, "'-_@%+=:,./x9'" },
};

static struct value *
load(struct arena *a, const char *text)
{
	struct err err = ERR_INIT;
	struct value *v;

	v = yaml_load_string(a, "case", text, strlen(text), &err);
	if (v == NULL) {
		printf("# bad case YAML '%s': %s\n", text, err.msg);
		abort();
	}
	return v;
}

/* Call a filter or test; the repr of its answer, or "!" and the error. */
static const char *
call(struct arena *a, char kind, const char *name, struct value *in,
    struct value *args, struct value *kw, struct strbuf *sb)
{
	const struct tmpl_filter *f = NULL;
	const struct tmpl_test *t = NULL;
	struct tmpl_call c;
	struct err err = ERR_INIT;
	struct value *out = NULL;
	bool b = false;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.a = a;
	c.name = name;
	c.in = in;
	c.undef_name = in == NULL ? "nosuchvar" : NULL;
	if (args != NULL) {
		c.args = args->u.list->items;
		c.nargs = args->u.list->n;
	}
	if (kw != NULL) {
		c.nkw = kw->u.dict->n;
		c.kwnames = arena_alloc(a, (c.nkw + 1) * sizeof(*c.kwnames));
		c.kwargs = arena_alloc(a, (c.nkw + 1) * sizeof(*c.kwargs));
		for (i = 0; i < c.nkw; i++) {
			c.kwnames[i] = kw->u.dict->ent[i].key->u.str.s;
			c.kwargs[i] = kw->u.dict->ent[i].val;
		}
	}
	sb_reset(sb);
	if (kind == 'f') {
		f = tmpl_find_filter(name);
		if (f == NULL)
			return "(no such filter)";
		rc = f->fn(&c, &out, &err);
	} else {
		t = tmpl_find_test(name);
		if (t == NULL)
			return "(no such test)";
		rc = t->fn(&c, &b, &err);
	}
	if (rc < 0) {
		sb_addf(sb, "!%s", err.msg);
		return sb->buf;
	}
	if (kind == 'f')
		val_repr(sb, out);
	else
		sb_adds(sb, b ? "True" : "False");
	return sb->buf;
}

static void
run_case(struct arena *a, const struct tcase *tc, struct strbuf *sb)
{
	struct value *in, *args = NULL, *kw = NULL;
	const char *got;

	in = load(a, tc->in);
	if (tc->args != NULL)
		args = load(a, tc->args);
	if (tc->kw != NULL)
		kw = load(a, tc->kw);
	got = call(a, tc->kind, tc->name, in, args, kw, sb);
	if (strcmp(tc->want, "!") == 0) {
		if (!ok(got[0] == '!', "%s(%s) fails", tc->name, tc->in))
			printf("#   got:  '%s'\n", got);
		return;
	}
	is_str(got, tc->want, "%s %s(%s%s%s%s%s)", tc->kind == 'f' ?
	    "filter" : "test", tc->name, tc->in, tc->args ? ", " : "",
	    tc->args ? tc->args : "", tc->kw ? ", " : "", tc->kw ? tc->kw : "");
}

/* Hand-built calls the YAML cases cannot express. */
static void
special(struct arena *a, struct strbuf *sb)
{
	struct value *l, *pair, *args, *out;
	const struct tmpl_filter *f;
	bool seen[10] = { false };
	size_t i, k;
	int n;

	/* The same list twice gets an anchor, as the same object does. */
	l = load(a, "[1, 2]");
	pair = val_new_list(a);
	val_list_push(a, pair, l);
	val_list_push(a, pair, l);
	is_str(call(a, 'f', "to_yaml", pair, NULL, NULL, sb),
	    "'- &id001 [1, 2]\\n- *id001\\n'", "to_yaml anchors a shared list");

	/* Undefined input. */
	is_str(call(a, 'f', "regex_replace", NULL, load(a, "[a, b]"), NULL,
	    sb), "!'nosuchvar' is undefined", "regex_replace of undefined");
	is_str(call(a, 'f', "to_yaml", NULL, NULL, NULL, sb),
	    "!'nosuchvar' is undefined", "to_yaml of undefined");
	is_str(call(a, 't', "version", NULL, load(a, "['1.0']"), NULL, sb),
	    "!'nosuchvar' is undefined", "version test of undefined");

	/* Argument binding as Python does it. */
	is_str(call(a, 'f', "regex_replace", load(a, "x"),
	    load(a, "[a, b, false, false, 0, 1]"), NULL, sb),
	    "!regex_replace() takes from 1 to 6 positional arguments but 7 "
	    "were given", "too many positional arguments");
	is_str(call(a, 'f', "regex_findall", load(a, "x"), load(a, "[a]"),
	    load(a, "{regex: b}"), sb),
	    "!regex_findall() got multiple values for argument 'regex'",
	    "an argument twice");
	is_str(call(a, 'f', "regex_findall", load(a, "x"), NULL, NULL, sb),
	    "!regex_findall() missing 1 required positional argument: "
	    "'regex'", "a missing argument");

	/* Without a seed: the kernel's randomness, in range. */
	for (i = 0, n = 0; i < 200; i++) {
		call(a, 'f', "random", load(a, "10"), NULL, NULL, sb);
		k = (size_t)strtoul(sb->buf, NULL, 10);
		if (sb->buf[0] >= '0' && sb->buf[0] <= '9' && k < 10) {
			if (!seen[k])
				n++;
			seen[k] = true;
		}
	}
	ok(n == 10, "unseeded random covers 0..9 (%d seen)", n);
	is_str(call(a, 'f', "random", load(a, "[x]"), NULL, NULL, sb), "'x'",
	    "unseeded random of a list");

	/* shuffle leaves its input alone and permutes it. */
	l = load(a, "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]");
	call(a, 'f', "shuffle", l, NULL, NULL, sb);
	ok(sb->buf[0] == '[', "unseeded shuffle gives a list");
	args = load(a, "[42]");
	f = tmpl_find_filter("shuffle");
	{
		struct tmpl_call c;
		struct err err = ERR_INIT;

		memset(&c, 0, sizeof(c));
		c.a = a;
		c.name = "shuffle";
		c.in = l;
		c.args = args->u.list->items;
		c.nargs = 1;
		out = NULL;
		ok(f != NULL && f->fn(&c, &out, &err) == 0 && out != l,
		    "shuffle makes a new list");
		sb_reset(sb);
		val_repr(sb, l);
		is_str(sb->buf, "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
		    "shuffle leaves its input as it was");
		/* The same ten numbers, each once. */
		memset(seen, 0, sizeof(seen));
		for (i = 0, n = 0; out != NULL && i < val_len(out); i++) {
			k = (size_t)out->u.list->items[i]->u.i - 1;
			if (k < 10 && !seen[k])
				n++;
			if (k < 10)
				seen[k] = true;
		}
		ok(n == 10 && val_len(out) == 10, "shuffle keeps the "
		    "elements");
	}

	/*
	 * Nothing in the other tables hides these names: Ansible's random
	 * wins over Jinja2's, as Ansible's filters do.
	 */
	n = 0;
	for (const struct tmpl_filter *e = tmpl_filters_ext; e->name; e++)
		if (tmpl_find_filter(e->name) != e) {
			printf("# filter '%s' is shadowed by tmpl_filters[]\n",
			    e->name);
			n++;
		}
	for (const struct tmpl_test *e = tmpl_tests_ext; e->name; e++)
		if (tmpl_find_test(e->name) != e) {
			printf("# test '%s' is shadowed by tmpl_tests[]\n",
			    e->name);
			n++;
		}
	ok(n == 0, "no other table shadows the _ext tables");
}

int
main(void)
{
	struct arena a = ARENA_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&a, &cases[i], &sb);
	special(&a, &sb);
	sb_release(&sb);
	arena_release(&a);
	return tap_done();
}
