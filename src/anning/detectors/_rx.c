/* Native matching of the pattern rules (anning.detectors.rules) with PCRE2's JIT compiler.
 *
 * Python's re tries a pattern without a literal prefix at every position of the text in its
 * interpreter, and every match costs a match object and some Python; for the twenty-odd patterns the
 * prefilter leaves per message that was most of the rules' time. Here one call runs all of them.
 *
 * Matcher(sources)
 *   sources  list of (pattern source, Python re flags) in the rules' pattern numbering; each is
 *            compiled (UTF, UCP, JIT) on first use. A pattern PCRE2 cannot take, or one with re.ASCII,
 *            is answered by re on the Python side.
 * Matcher.match(text, numbers, limit) -> dict | None
 *   For each pattern number in numbers: its first `limit` non-empty matches, in order, as
 *   (start, end) code point offsets — the span of the group named "ev" where that group took part,
 *   else of the whole match — the same as rules._ranges over re's finditer (after an empty match, the
 *   next match may start at the same place only if it is not empty, as in re since Python 3.7).
 *   Numbers without a match are left out; a number mapped to None must be run by re (not compiled, or
 *   PCRE2 gave up: its match or JIT stack limit). None for the whole call: the text has no UTF-8 form
 *   (lone surrogates).
 * Matcher.compiles(number) -> bool: whether PCRE2 runs that pattern.
 *
 * libpcre2-8 is declared here rather than through pcre2.h, so that building needs only the shared
 * library (Debian's libpcre2-8-0, present on every system): its API and these values are stable since
 * PCRE2 10.00.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct pcre2_real_code_8 pcre2_code_8;
typedef struct pcre2_real_match_data_8 pcre2_match_data_8;

extern pcre2_code_8 *pcre2_compile_8(const uint8_t *, size_t, uint32_t, int *, size_t *, void *);
extern int pcre2_jit_compile_8(pcre2_code_8 *, uint32_t);
extern void pcre2_code_free_8(pcre2_code_8 *);
extern pcre2_match_data_8 *pcre2_match_data_create_from_pattern_8(const pcre2_code_8 *, void *);
extern void pcre2_match_data_free_8(pcre2_match_data_8 *);
extern int pcre2_match_8(const pcre2_code_8 *, const uint8_t *, size_t, size_t, uint32_t,
                         pcre2_match_data_8 *, void *);
extern size_t *pcre2_get_ovector_pointer_8(pcre2_match_data_8 *);
extern int pcre2_substring_number_from_name_8(const pcre2_code_8 *, const uint8_t *);

#define X_ANCHORED 0x80000000u
#define X_NO_UTF_CHECK 0x40000000u
#define X_ALT_BSUX 0x00000002u /* \uhhhh as in Python (and \xhh, two digits, as in Python) */
#define X_CASELESS 0x00000008u
#define X_DOTALL 0x00000020u
#define X_EXTENDED 0x00000080u
#define X_MULTILINE 0x00000400u
#define X_UCP 0x00020000u
#define X_UTF 0x00080000u
#define X_JIT_COMPLETE 0x00000001u
#define X_NOTEMPTY_ATSTART 0x00000008u
#define X_ERROR_NOMATCH (-1)
#define X_UNSET (~(size_t)0)

/* Python's re flag values (re.RegexFlag) */
#define RE_IGNORECASE 2
#define RE_MULTILINE 8
#define RE_DOTALL 16
#define RE_VERBOSE 64
#define RE_ASCII 256
#define RE_KNOWN (RE_IGNORECASE | RE_MULTILINE | RE_DOTALL | RE_VERBOSE | 32 /* re.UNICODE */)

enum { STATE_NEW = 0, STATE_READY = 1, STATE_FAILED = 2 };

typedef struct {
    pcre2_code_8 *code;
    pcre2_match_data_8 *data;
    uint32_t ev;  /* number of the "ev" group, 0 if none */
    int state;
} Entry;

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    Entry *entries;
    PyObject *sources;  /* list of (str, int) */
    int32_t *cp;        /* byte offset → code point offset of the current text */
    size_t cp_size;
} Matcher;

static void entry_clear(Entry *e) {
    if (e->data) pcre2_match_data_free_8(e->data);
    if (e->code) pcre2_code_free_8(e->code);
    e->data = NULL;
    e->code = NULL;
}

static void Matcher_dealloc(Matcher *self) {
    if (self->entries) {
        for (Py_ssize_t i = 0; i < self->n; i++) entry_clear(&self->entries[i]);
        PyMem_Free(self->entries);
    }
    PyMem_Free(self->cp);
    Py_XDECREF(self->sources);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Matcher_init(Matcher *self, PyObject *args, PyObject *kwds) {
    PyObject *sources;
    static char *kwlist[] = {"sources", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!", kwlist, &PyList_Type, &sources)) return -1;
    Py_ssize_t n = PyList_GET_SIZE(sources);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(sources, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(item, 0)) ||
            !PyLong_Check(PyTuple_GET_ITEM(item, 1))) {
            PyErr_SetString(PyExc_TypeError, "sources must be a list of (str, int)");
            return -1;
        }
    }
    Entry *entries = PyMem_Calloc(n ? n : 1, sizeof(Entry));
    if (!entries) {
        PyErr_NoMemory();
        return -1;
    }
    Py_INCREF(sources);
    self->sources = sources;
    self->entries = entries;
    self->n = n;
    return 0;
}

/* Compile pattern i on first use; 1 when PCRE2 runs it. */
static int entry_ready(Matcher *self, Py_ssize_t i) {
    Entry *e = &self->entries[i];
    if (e->state != STATE_NEW) return e->state == STATE_READY;
    e->state = STATE_FAILED;
    PyObject *item = PyList_GET_ITEM(self->sources, i);
    long flags = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
    if (flags == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    if (flags & ~RE_KNOWN) return 0;  /* re.ASCII or a flag PCRE2 has no twin for */
    uint32_t options = X_UTF | X_UCP | X_ALT_BSUX;
    if (flags & RE_IGNORECASE) options |= X_CASELESS;
    if (flags & RE_MULTILINE) options |= X_MULTILINE;
    if (flags & RE_DOTALL) options |= X_DOTALL;
    if (flags & RE_VERBOSE) options |= X_EXTENDED;
    Py_ssize_t size;
    const char *source = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(item, 0), &size);
    if (!source) {
        PyErr_Clear();
        return 0;
    }
    int error;
    size_t offset;
    pcre2_code_8 *code = pcre2_compile_8((const uint8_t *)source, (size_t)size, options, &error, &offset, NULL);
    if (!code) return 0;
    if (pcre2_jit_compile_8(code, X_JIT_COMPLETE) != 0) {
        /* the interpreter would be slower than re on short texts: leave the pattern to re */
        pcre2_code_free_8(code);
        return 0;
    }
    e->code = code;
    e->data = pcre2_match_data_create_from_pattern_8(code, NULL);
    if (!e->data) {
        entry_clear(e);
        return 0;
    }
    int ev = pcre2_substring_number_from_name_8(code, (const uint8_t *)"ev");
    e->ev = ev > 0 ? (uint32_t)ev : 0;
    e->state = STATE_READY;
    return 1;
}

/* Code point offsets of a UTF-8 text, by byte offset (only starts of characters are read). */
static int fill_offsets(Matcher *self, const uint8_t *s, size_t len) {
    if (self->cp_size < len + 1) {
        int32_t *cp = PyMem_Realloc(self->cp, (len + 1) * sizeof(int32_t));
        if (!cp) return -1;
        self->cp = cp;
        self->cp_size = len + 1;
    }
    int32_t k = 0;
    for (size_t i = 0; i < len; i++) self->cp[i] = (s[i] & 0xC0) != 0x80 ? k++ : k;
    self->cp[len] = k;
    return 0;
}

/* Appends up to `limit` ranges to `out` (a new list); 1 done, 0 PCRE2 gave up, -1 Python error. */
static int run_pattern(Matcher *self, Entry *e, const uint8_t *s, size_t len, int ascii, long limit,
                       PyObject **out) {
    size_t start = 0;
    uint32_t options = X_NO_UTF_CHECK;
    long found = 0;
    *out = NULL;
    while (start <= len) {
        int rc = pcre2_match_8(e->code, s, len, start, options, e->data, NULL);
        if (rc == X_ERROR_NOMATCH) {
            if (!(options & X_ANCHORED)) break;
            /* no non-empty match where the empty one was: move on one character */
            start++;
            while (start < len && (s[start] & 0xC0) == 0x80) start++;
            options = X_NO_UTF_CHECK;
            continue;
        }
        if (rc < 0) {
            Py_CLEAR(*out);
            return 0;
        }
        size_t *ov = pcre2_get_ovector_pointer_8(e->data);
        size_t a = ov[0], b = ov[1];
        if (b > a) {
            size_t ra = a, rb = b;
            if (e->ev && (rc == 0 || (uint32_t)rc > e->ev) && ov[2 * e->ev] != X_UNSET) {
                ra = ov[2 * e->ev];
                rb = ov[2 * e->ev + 1];
            }
            if (!*out && !(*out = PyList_New(0))) return -1;
            PyObject *range = ascii ? Py_BuildValue("(nn)", (Py_ssize_t)ra, (Py_ssize_t)rb)
                                    : Py_BuildValue("(ii)", self->cp[ra], self->cp[rb]);
            if (!range || PyList_Append(*out, range) < 0) {
                Py_XDECREF(range);
                Py_CLEAR(*out);
                return -1;
            }
            Py_DECREF(range);
            if (++found >= limit) break;
            start = b;
            options = X_NO_UTF_CHECK;
        } else {
            start = b;
            options = X_NO_UTF_CHECK | X_NOTEMPTY_ATSTART | X_ANCHORED;
        }
    }
    return 1;
}

static PyObject *Matcher_match(Matcher *self, PyObject *args) {
    PyObject *text, *numbers;
    long limit;
    if (!PyArg_ParseTuple(args, "UOl", &text, &numbers, &limit)) return NULL;
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    if (!utf8) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    PyObject *seq = PySequence_Fast(numbers, "numbers must be a sequence");
    if (!seq) return NULL;
    int ascii = PyUnicode_IS_ASCII(text);
    if (!ascii && fill_offsets(self, (const uint8_t *)utf8, (size_t)size) < 0) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    PyObject *result = PyDict_New();
    if (!result) goto fail;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t j = 0; j < count; j++) {
        Py_ssize_t i = PyLong_AsSsize_t(items[j]);
        if (i == -1 && PyErr_Occurred()) goto fail;
        if (i < 0 || i >= self->n) {
            PyErr_SetString(PyExc_IndexError, "pattern number out of range");
            goto fail;
        }
        PyObject *ranges = NULL;
        int done = entry_ready(self, i) ? run_pattern(self, &self->entries[i], (const uint8_t *)utf8,
                                                      (size_t)size, ascii, limit, &ranges)
                                        : 0;
        if (done < 0) goto fail;
        if (done == 0 || ranges) {
            int rc = PyDict_SetItem(result, items[j], ranges ? ranges : Py_None);
            Py_XDECREF(ranges);
            if (rc < 0) goto fail;
        }
    }
    Py_DECREF(seq);
    return result;
fail:
    Py_DECREF(seq);
    Py_XDECREF(result);
    return NULL;
}

static PyObject *Matcher_compiles(Matcher *self, PyObject *arg) {
    Py_ssize_t i = PyLong_AsSsize_t(arg);
    if (i == -1 && PyErr_Occurred()) return NULL;
    if (i < 0 || i >= self->n) {
        PyErr_SetString(PyExc_IndexError, "pattern number out of range");
        return NULL;
    }
    return PyBool_FromLong(entry_ready(self, i));
}

static PyMethodDef Matcher_methods[] = {
    {"match", (PyCFunction)Matcher_match, METH_VARARGS,
     "match(text, numbers, limit) -> {number: [(start, end), ...] or None} or None"},
    {"compiles", (PyCFunction)Matcher_compiles, METH_O, "compiles(number) -> whether PCRE2 runs it"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anning.detectors._rx.Matcher",
    .tp_basicsize = sizeof(Matcher),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The rule patterns, run by PCRE2's JIT compiler.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Matcher_init,
    .tp_dealloc = (destructor)Matcher_dealloc,
    .tp_methods = Matcher_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_rx", "Native matching of the pattern rules with PCRE2's JIT.", -1, NULL,
};

PyMODINIT_FUNC PyInit__rx(void) {
    if (PyType_Ready(&MatcherType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&MatcherType);
    if (PyModule_AddObject(m, "Matcher", (PyObject *)&MatcherType) < 0) {
        Py_DECREF(&MatcherType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
