/* Native reading of a text by the kind and flag classifier (anning.ml.model).
 *
 * The same arithmetic as the NumPy path of KindModel.predict_many, in the same order, so the results are
 * bit for bit equal (tests compare them): every vocabulary n-gram of one to three characters and every
 * whole Latin word of a prepared text is counted; the distinct features, in name (rank) order, get the
 * value tf·idf (tf = 1 + ln n for n > 1 occurrences, else 1); norm = sqrt(Σ value²) summed in rank
 * order; the sum of each output (class or flag) is Σ value·weight in rank order, divided by norm.
 *
 * Scorer(keys, key_ranks, idf, weights, intercept, n_classes, words, names, explainable)
 *   keys        int64, sorted: packed n-grams (code point + 1, 21 bits per character, first character lowest)
 *   key_ranks   int64: the feature rank of each key
 *   idf         float64 per feature; weights float64, features × n_out, row-major (one feature's weights
 *               side by side)
 *   intercept   float64 per output (n_out ≤ 64): the classes first (n_classes), then the flags
 *   words       dict: Latin word → rank; names: list of feature names by rank
 *   explainable bytes, one per feature: may be shown as flag evidence
 * Scorer.read(text, prepare=True) -> Reading; Scorer.read_many(texts, prepare=True) -> list of Reading
 *   prepare: the text is normalised, not yet features.prepare'd (done here, in the same way)
 * Reading.logits: tuple of n_out floats (the intercepts alone when no feature occurs); Reading.size: the
 *   number of distinct features; Reading.winner: the class with the largest logit (the first on ties)
 * Reading.top(output, k, explainable_only) -> list of (name, value·weight / norm, ((start, end), …))
 *   the k features with the largest positive product for that output, ties by name descending, each with
 *   the spans of its first two occurrences in the text.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BITS 21
#define NGRAM_MAX 3

typedef struct {
    PyObject_HEAD
    Py_ssize_t n_keys;
    int64_t *keys;
    int64_t *key_ranks;
    Py_ssize_t n_features;
    double *idf;
    int n_out;
    double *weights;
    double *intercept;
    int n_classes;
    PyObject *words;
    PyObject *names;
    unsigned char *explainable;
    /* the hash table of keys: slot → key (0: empty) and rank */
    size_t mask;
    int64_t *slot_key;
    int32_t *slot_rank;
    /* scratch for one reading, all zero between readings: occurrences per feature, and a bitmap of the
       features seen (walked in rank order, so no sort is needed) */
    int32_t *count;
    Py_ssize_t *first;
    Py_ssize_t *second;
    Py_ssize_t *flen;
    uint64_t *seen;
} Scorer;

typedef struct {
    PyObject_HEAD
    Scorer *scorer;
    Py_ssize_t n;       /* distinct features */
    int64_t *rank;
    double *value;
    Py_ssize_t *start;  /* first two occurrences: start and length; -1 when absent */
    Py_ssize_t *start2;
    Py_ssize_t *length;
    double norm;
    PyObject *logits;   /* tuple of floats: intercept + Σ value·weight / norm per output */
    int winner;         /* the class (among the first n_classes outputs) with the largest logit, first on ties */
} Reading;

static PyTypeObject ReadingType;

static size_t slot_of(const Scorer *s, int64_t key) {
    return (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> 20) & s->mask;
}

/* The rank of a packed n-gram, or -1. */
static int32_t find_key(const Scorer *s, int64_t key) {
    for (size_t at = slot_of(s, key);; at = (at + 1) & s->mask) {
        if (s->slot_key[at] == key) return s->slot_rank[at];
        if (s->slot_key[at] == 0) return -1;
    }
}

static void *copy_buffer(PyObject *obj, Py_ssize_t itemsize, Py_ssize_t *count, const char *what) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (view.len % itemsize) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "%s: buffer size is not a multiple of %zd", what, itemsize);
        return NULL;
    }
    void *out = PyMem_Malloc(view.len ? view.len : 1);
    if (out == NULL) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(out, view.buf, view.len);
    *count = view.len / itemsize;
    PyBuffer_Release(&view);
    return out;
}

static void Scorer_dealloc(Scorer *self) {
    PyMem_Free(self->keys);
    PyMem_Free(self->key_ranks);
    PyMem_Free(self->idf);
    PyMem_Free(self->weights);
    PyMem_Free(self->intercept);
    PyMem_Free(self->explainable);
    PyMem_Free(self->slot_key);
    PyMem_Free(self->slot_rank);
    PyMem_Free(self->count);
    PyMem_Free(self->first);
    PyMem_Free(self->second);
    PyMem_Free(self->flen);
    PyMem_Free(self->seen);
    Py_XDECREF(self->words);
    Py_XDECREF(self->names);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Scorer_init(Scorer *self, PyObject *args, PyObject *kwds) {
    PyObject *keys, *key_ranks, *idf, *weights, *intercept, *words, *names, *explainable;
    int n_classes;
    if (!PyArg_ParseTuple(args, "OOOOOiO!O!O", &keys, &key_ranks, &idf, &weights, &intercept, &n_classes,
                          &PyDict_Type, &words, &PyList_Type, &names, &explainable))
        return -1;
    if (self->keys != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Scorer: already initialised");
        return -1;
    }
    Py_ssize_t n_keys, n_ranks, n_idf, n_weights, n_explainable, n_out;
    if (!(self->keys = copy_buffer(keys, sizeof(int64_t), &n_keys, "keys"))) return -1;
    if (!(self->key_ranks = copy_buffer(key_ranks, sizeof(int64_t), &n_ranks, "key_ranks"))) return -1;
    if (!(self->idf = copy_buffer(idf, sizeof(double), &n_idf, "idf"))) return -1;
    if (!(self->weights = copy_buffer(weights, sizeof(double), &n_weights, "weights"))) return -1;
    if (!(self->intercept = copy_buffer(intercept, sizeof(double), &n_out, "intercept"))) return -1;
    if (!(self->explainable = copy_buffer(explainable, 1, &n_explainable, "explainable"))) return -1;
    if (n_ranks != n_keys || n_out < 1 || n_out > 64 || n_classes < 1 || n_classes > n_out ||
        n_weights != n_out * n_idf || n_explainable != n_idf ||
        PyList_GET_SIZE(names) != n_idf) {
        PyErr_SetString(PyExc_ValueError, "Scorer: array sizes do not agree");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n_keys; i++) {
        if (self->key_ranks[i] < 0 || self->key_ranks[i] >= n_idf || self->keys[i] <= 0 ||
            (i && self->keys[i - 1] >= self->keys[i])) {
            PyErr_SetString(PyExc_ValueError, "Scorer: keys must be positive, sorted and distinct, ranks in range");
            return -1;
        }
    }
    size_t slots = 16;
    while (slots < (size_t)n_keys * 2) slots *= 2;
    self->mask = slots - 1;
    self->slot_key = PyMem_Calloc(slots, sizeof(int64_t));
    self->slot_rank = PyMem_Calloc(slots, sizeof(int32_t));
    Py_ssize_t features = n_idf ? n_idf : 1;
    self->count = PyMem_Calloc(features, sizeof(int32_t));
    self->first = PyMem_Calloc(features, sizeof(Py_ssize_t));
    self->second = PyMem_Calloc(features, sizeof(Py_ssize_t));
    self->flen = PyMem_Calloc(features, sizeof(Py_ssize_t));
    self->seen = PyMem_Calloc(features / 64 + 1, sizeof(uint64_t));
    if (!self->slot_key || !self->slot_rank || !self->count || !self->first || !self->second || !self->flen ||
        !self->seen) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n_keys; i++) {
        size_t at = slot_of(self, self->keys[i]);
        while (self->slot_key[at] != 0) at = (at + 1) & self->mask;
        self->slot_key[at] = self->keys[i];
        self->slot_rank[at] = (int32_t)self->key_ranks[i];
    }
    self->n_keys = n_keys;
    self->n_features = n_idf;
    self->n_out = (int)n_out;
    self->n_classes = n_classes;
    Py_INCREF(words);
    self->words = words;
    Py_INCREF(names);
    self->names = names;
    return 0;
}

static void note(Scorer *s, int64_t rank, Py_ssize_t pos, Py_ssize_t len, Py_ssize_t *low, Py_ssize_t *high) {
    int32_t c = s->count[rank]++;
    if (c == 0) {
        s->first[rank] = pos;
        s->flen[rank] = len;
        Py_ssize_t word = rank / 64;
        s->seen[word] |= 1ULL << (rank % 64);
        if (word < *low) *low = word;
        if (word > *high) *high = word;
    } else if (c == 1) {
        s->second[rank] = pos;
    }
}

static int is_latin(Py_UCS4 c) { return c >= 'a' && c <= 'z'; }

/* features.prepare, one character: decimal digits → 0; what a regular expression's \w does not match, and
   the underscore, → a space (the length stays, so offsets stay valid). */
static Py_UCS4 prepared_char(Py_UCS4 c) {
    if (Py_UNICODE_ISDECIMAL(c)) return '0';
    if (c == '_' || !Py_UNICODE_ISALNUM(c)) return ' ';
    return c;
}

/* Notes every vocabulary n-gram and Latin word occurrence of the prepared ``text`` (``buf``: its characters)
   in the scratch arrays; [low, high]: the bitmap words touched. Positions come in increasing order for each
   feature. */
static int collect(Scorer *s, const Py_UCS4 *buf, Py_ssize_t n, Py_ssize_t *low, Py_ssize_t *high) {
    *low = PY_SSIZE_T_MAX;
    *high = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t key = 0;
        for (int size = 1; size <= NGRAM_MAX && i + size <= n; size++) {
            key |= ((int64_t)buf[i + size - 1] + 1) << (BITS * (size - 1));
            int32_t rank = find_key(s, key);
            if (rank >= 0) note(s, rank, i, size, low, high);
        }
    }
    if (PyDict_GET_SIZE(s->words) == 0) return 0;
    for (Py_ssize_t i = 0; i < n;) {
        if (!is_latin(buf[i])) {
            i++;
            continue;
        }
        Py_ssize_t j = i;
        while (j < n && is_latin(buf[j])) j++;
        if (j - i >= 2) {
            PyObject *word = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf + i, j - i);
            if (word == NULL) return -1;
            PyObject *rank = PyDict_GetItemWithError(s->words, word);
            Py_DECREF(word);
            if (rank == NULL && PyErr_Occurred()) return -1;
            if (rank != NULL) {
                long long r = PyLong_AsLongLong(rank);
                if (r == -1 && PyErr_Occurred()) return -1;
                if (r < 0 || r >= s->n_features) {
                    PyErr_SetString(PyExc_ValueError, "Scorer: word rank out of range");
                    return -1;
                }
                note(s, r, i, j - i, low, high);
            }
        }
        i = j;
    }
    return 0;
}

/* Clears the scratch arrays of the features in the touched bitmap words. */
static void clear_scratch(Scorer *s, Py_ssize_t low, Py_ssize_t high) {
    for (Py_ssize_t w = low; w <= high; w++) {
        uint64_t bits = s->seen[w];
        while (bits) {
            int64_t rank = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            s->count[rank] = 0;
        }
        s->seen[w] = 0;
    }
}

static PyObject *read_text(Scorer *s, PyObject *text, int prepare) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "Scorer.read: text must be a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), low, high;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 small[512];
    Py_UCS4 *buf = n <= 512 ? small : PyMem_Malloc(n * sizeof(Py_UCS4));
    if (buf == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) buf[i] = prepare ? prepared_char(PyUnicode_READ(kind, data, i))
                                                        : PyUnicode_READ(kind, data, i);
    int failed = collect(s, buf, n, &low, &high) < 0;
    if (buf != small) PyMem_Free(buf);
    if (failed) {
        clear_scratch(s, low, high);
        return NULL;
    }
    Py_ssize_t distinct = 0;
    for (Py_ssize_t w = low; w <= high; w++) distinct += __builtin_popcountll(s->seen[w]);
    Reading *r = PyObject_New(Reading, &ReadingType);
    if (r == NULL) {
        clear_scratch(s, low, high);
        return NULL;
    }
    Py_INCREF(s);
    r->scorer = s;
    r->n = 0;
    r->logits = NULL;
    r->norm = 1.0;
    Py_ssize_t alloc = distinct ? distinct : 1;
    r->rank = PyMem_Malloc(alloc * sizeof(int64_t));
    r->value = PyMem_Malloc(alloc * sizeof(double));
    r->start = PyMem_Malloc(alloc * sizeof(Py_ssize_t));
    r->start2 = PyMem_Malloc(alloc * sizeof(Py_ssize_t));
    r->length = PyMem_Malloc(alloc * sizeof(Py_ssize_t));
    if (!r->rank || !r->value || !r->start || !r->start2 || !r->length) {
        clear_scratch(s, low, high);
        Py_DECREF(r);
        return PyErr_NoMemory();
    }
    double square_sum = 0.0;
    for (Py_ssize_t w = low; w <= high; w++) {  /* features in rank (name) order */
        uint64_t bits = s->seen[w];
        while (bits) {
            int64_t rank = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            int32_t count = s->count[rank];
            Py_ssize_t d = r->n++;
            double tf = count == 1 ? 1.0 : 1.0 + log((double)count);
            r->rank[d] = rank;
            r->value[d] = tf * s->idf[rank];
            r->start[d] = s->first[rank];
            r->start2[d] = count > 1 ? s->second[rank] : -1;
            r->length[d] = s->flen[rank];
            square_sum += r->value[d] * r->value[d];
        }
    }
    clear_scratch(s, low, high);
    double logits[64];
    if (r->n == 0) {  /* nothing to read: the intercepts alone */
        for (int o = 0; o < s->n_out; o++) logits[o] = s->intercept[o];
    } else {
        r->norm = sqrt(square_sum);
        if (r->norm == 0.0) r->norm = 1.0;
        double acc[64] = {0.0};
        for (Py_ssize_t d = 0; d < r->n; d++) {  /* per output, still summed in rank order */
            const double *w = s->weights + r->rank[d] * s->n_out;
            double v = r->value[d];
            for (int o = 0; o < s->n_out; o++) acc[o] += v * w[o];
        }
        for (int o = 0; o < s->n_out; o++) logits[o] = s->intercept[o] + acc[o] / r->norm;
    }
    r->winner = 0;
    for (int c = 1; c < s->n_classes; c++)
        if (logits[c] > logits[r->winner]) r->winner = c;
    r->logits = PyTuple_New(s->n_out);
    if (r->logits == NULL) {
        Py_DECREF(r);
        return NULL;
    }
    for (int o = 0; o < s->n_out; o++) {
        PyObject *f = PyFloat_FromDouble(logits[o]);
        if (f == NULL) {
            Py_DECREF(r);
            return NULL;
        }
        PyTuple_SET_ITEM(r->logits, o, f);
    }
    return (PyObject *)r;
}

static PyObject *Scorer_read(Scorer *self, PyObject *args) {
    PyObject *text;
    int prepare = 1;
    if (!PyArg_ParseTuple(args, "O|p", &text, &prepare)) return NULL;
    return read_text(self, text, prepare);
}

static PyObject *Scorer_read_many(Scorer *self, PyObject *args) {
    PyObject *texts;
    int prepare = 1;
    if (!PyArg_ParseTuple(args, "O|p", &texts, &prepare)) return NULL;
    PyObject *seq = PySequence_Fast(texts, "Scorer.read_many: expected a sequence of texts");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = read_text(self, PySequence_Fast_GET_ITEM(seq, i), prepare);
        if (r == NULL) {
            Py_DECREF(out);
            Py_DECREF(seq);
            return NULL;
        }
        PyList_SET_ITEM(out, i, r);
    }
    Py_DECREF(seq);
    return out;
}

static void Reading_dealloc(Reading *self) {
    PyMem_Free(self->rank);
    PyMem_Free(self->value);
    PyMem_Free(self->start);
    PyMem_Free(self->start2);
    PyMem_Free(self->length);
    Py_XDECREF(self->logits);
    Py_XDECREF(self->scorer);
    PyObject_Free(self);
}

static PyObject *Reading_get_logits(Reading *self, void *closure) {
    Py_INCREF(self->logits);
    return self->logits;
}

static PyObject *Reading_get_winner(Reading *self, void *closure) { return PyLong_FromLong(self->winner); }

static PyObject *Reading_get_size(Reading *self, void *closure) { return PyLong_FromSsize_t(self->n); }

typedef struct {
    double product;
    Py_ssize_t d;
} Scored;

/* Larger product first; equal products: larger rank (name) first. */
static int scored_order(const void *a, const void *b, const Reading *r) {
    const Scored *x = a, *y = b;
    if (x->product != y->product) return x->product > y->product ? -1 : 1;
    return r->rank[x->d] > r->rank[y->d] ? -1 : (r->rank[x->d] < r->rank[y->d] ? 1 : 0);
}

static PyObject *span_pair(Py_ssize_t start, Py_ssize_t length) {
    return Py_BuildValue("(nn)", start, start + length);
}

static PyObject *Reading_top(Reading *self, PyObject *args) {
    int output, k, explainable_only;
    if (!PyArg_ParseTuple(args, "iip", &output, &k, &explainable_only)) return NULL;
    Scorer *s = self->scorer;
    if (output < 0 || output >= s->n_out) {
        PyErr_SetString(PyExc_IndexError, "Reading.top: no such output");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL || k <= 0 || self->n == 0) return out;
    Scored *best = PyMem_Malloc(k * sizeof(Scored));
    if (best == NULL) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    int kept = 0;
    for (Py_ssize_t d = 0; d < self->n; d++) {  /* insertion into a short sorted list of the k best */
        if (explainable_only && !s->explainable[self->rank[d]]) continue;
        Scored c = {self->value[d] * s->weights[self->rank[d] * s->n_out + output], d};
        if (!(c.product > 0)) continue;
        if (kept == k && scored_order(&c, &best[k - 1], self) >= 0) continue;
        int at = kept < k ? kept++ : k - 1;
        while (at > 0 && scored_order(&c, &best[at - 1], self) < 0) {
            best[at] = best[at - 1];
            at--;
        }
        best[at] = c;
    }
    for (int i = 0; i < kept; i++) {
        Py_ssize_t d = best[i].d;
        PyObject *spans = self->start2[d] >= 0
            ? Py_BuildValue("(NN)", span_pair(self->start[d], self->length[d]),
                            span_pair(self->start2[d], self->length[d]))
            : Py_BuildValue("(N)", span_pair(self->start[d], self->length[d]));
        PyObject *item = spans ? Py_BuildValue("(OdN)", PyList_GET_ITEM(s->names, self->rank[d]),
                                               best[i].product / self->norm, spans) : NULL;
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(out);
            PyMem_Free(best);
            return NULL;
        }
        Py_DECREF(item);
    }
    PyMem_Free(best);
    return out;
}

static PyMethodDef Scorer_methods[] = {
    {"read", (PyCFunction)Scorer_read, METH_VARARGS, "Read one text (prepare: it is not prepared yet)."},
    {"read_many", (PyCFunction)Scorer_read_many, METH_VARARGS, "Read a sequence of texts."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef Reading_methods[] = {
    {"top", (PyCFunction)Reading_top, METH_VARARGS, "The strongest positive features of one output."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Reading_getset[] = {
    {"logits", (getter)Reading_get_logits, NULL, "intercept + Σ value·weight / norm, per output", NULL},
    {"winner", (getter)Reading_get_winner, NULL, "the class with the largest logit", NULL},
    {"size", (getter)Reading_get_size, NULL, "number of distinct features", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anning.ml._ngrams.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scorer_init,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
    .tp_doc = "The classifier's vocabulary and weights, for reading texts natively.",
};

static PyTypeObject ReadingType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anning.ml._ngrams.Reading",
    .tp_basicsize = sizeof(Reading),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)Reading_dealloc,
    .tp_methods = Reading_methods,
    .tp_getset = Reading_getset,
    .tp_doc = "The features of one text: per-output sums and the strongest features.",
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ngrams", "Native n-gram reading for the classifier.", -1, NULL,
};

PyMODINIT_FUNC PyInit__ngrams(void) {
    if (PyType_Ready(&ScorerType) < 0 || PyType_Ready(&ReadingType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ScorerType);
    if (PyModule_AddObject(m, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(&ScorerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
