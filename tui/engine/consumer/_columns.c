/* A member's per-batch columns in one pass over a consume() batch (see columns.py, which holds the
 * same rules in Python and is used when this module is not built).
 *
 * Why C: per record, a member reads partition, offset and value and cuts the msg_id out of the
 * value; done in Python (a map per column, a regex over the joined values) that cost as much as
 * consume() itself, and the member's delivery rate is what the explorer's lag and latency are
 * measured against. The Message methods are called through the descriptors Python hands to bind(),
 * so nothing here depends on confluent-kafka's struct layout. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static PyObject *get_partition, *get_offset, *get_value, *get_timestamp;

static PyObject *call0(PyObject *descr, PyObject *msg) {
    PyObject *args[1] = {msg};
    return PyObject_Vectorcall(descr, args, 1, NULL);
}

static PyObject *bind(PyObject *self, PyObject *args) {
    PyObject *p, *o, *v, *t;
    if (!PyArg_ParseTuple(args, "OOOO", &p, &o, &v, &t))
        return NULL;
    Py_XSETREF(get_partition, Py_NewRef(p));
    Py_XSETREF(get_offset, Py_NewRef(o));
    Py_XSETREF(get_value, Py_NewRef(v));
    Py_XSETREF(get_timestamp, Py_NewRef(t));
    Py_RETURN_NONE;
}

/* The id in a kx value ("kx|<id>|..."), a new reference; None when the value carries none. */
static PyObject *raw_id(PyObject *value) {
    if (PyBytes_Check(value)) {
        const char *data = PyBytes_AS_STRING(value);
        Py_ssize_t size = PyBytes_GET_SIZE(value);
        if (size > 4 && memcmp(data, "kx|", 3) == 0) {
            const char *end = memchr(data + 3, '|', (size_t)(size - 3));
            if (end != NULL && end > data + 3)
                return PyBytes_FromStringAndSize(data + 3, end - (data + 3));
        }
    }
    Py_RETURN_NONE;
}

/* columns(records, stride) -> (partitions int32 bytes, offsets int64 bytes, values, raw ids,
 * every stride-th timestamp in ms as int64 bytes) */
static PyObject *columns(PyObject *self, PyObject *args) {
    PyObject *records;
    Py_ssize_t stride;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &records, &stride))
        return NULL;
    if (get_partition == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() the Message methods first");
        return NULL;
    }
    if (stride < 1)
        stride = 1;
    Py_ssize_t n = PyList_GET_SIZE(records);
    Py_ssize_t samples = (n + stride - 1) / stride;
    PyObject *parts = PyBytes_FromStringAndSize(NULL, n * 4);
    PyObject *offsets = PyBytes_FromStringAndSize(NULL, n * 8);
    PyObject *stamps = PyBytes_FromStringAndSize(NULL, samples * 8);
    PyObject *values = PyList_New(n);
    PyObject *ids = PyList_New(n);
    if (!parts || !offsets || !stamps || !values || !ids)
        goto fail;
    int32_t *pcol = (int32_t *)PyBytes_AS_STRING(parts);
    int64_t *ocol = (int64_t *)PyBytes_AS_STRING(offsets);
    int64_t *scol = (int64_t *)PyBytes_AS_STRING(stamps);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *msg = PyList_GET_ITEM(records, i);
        PyObject *obj = call0(get_partition, msg);
        if (obj == NULL)
            goto fail;
        long part = PyLong_AsLong(obj);  /* None (an error message) raises: callers pass records */
        Py_DECREF(obj);
        if (part == -1 && PyErr_Occurred())
            goto fail;
        pcol[i] = (int32_t)part;
        obj = call0(get_offset, msg);
        if (obj == NULL)
            goto fail;
        long long off = PyLong_AsLongLong(obj);
        Py_DECREF(obj);
        if (off == -1 && PyErr_Occurred())
            goto fail;
        ocol[i] = (int64_t)off;
        PyObject *value = call0(get_value, msg);
        if (value == NULL)
            goto fail;
        PyObject *id = raw_id(value);
        PyList_SET_ITEM(values, i, value);
        if (id == NULL)
            goto fail;
        PyList_SET_ITEM(ids, i, id);
        if (i % stride == 0) {
            obj = call0(get_timestamp, msg);  /* (type, milliseconds) */
            if (obj == NULL)
                goto fail;
            if (!PyTuple_Check(obj) || PyTuple_GET_SIZE(obj) != 2) {
                Py_DECREF(obj);
                PyErr_SetString(PyExc_TypeError, "timestamp() is not a (type, ms) pair");
                goto fail;
            }
            long long ms = PyLong_AsLongLong(PyTuple_GET_ITEM(obj, 1));
            Py_DECREF(obj);
            if (ms == -1 && PyErr_Occurred())
                goto fail;
            scol[i / stride] = (int64_t)ms;
        }
    }
    return Py_BuildValue("(NNNNN)", parts, offsets, values, ids, stamps);
fail:
    Py_XDECREF(parts);
    Py_XDECREF(offsets);
    Py_XDECREF(stamps);
    Py_XDECREF(values);  /* PyList_New fills with NULL; unset items are skipped on dealloc */
    Py_XDECREF(ids);
    return NULL;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS, "bind(partition, offset, value, timestamp): Message's methods"},
    {"columns", columns, METH_VARARGS,
     "columns(records, stride) -> (partitions, offsets, values, raw ids, timestamps)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_columns", NULL, -1, methods};

PyMODINIT_FUNC PyInit__columns(void) { return PyModule_Create(&module); }
