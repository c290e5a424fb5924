/* Defensive HDF5 helpers (see h5_util.h). */
#include "h5_util.h"
#include "memory.h"

#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Open a root attribute holding exactly one value of the given class. */
static hid_t open_single_attr(hid_t f, const char *name, H5T_class_t want, hid_t *type) {
    if (H5Aexists(f, name) <= 0) return -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t space = H5Aget_space(a);
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0) H5Sclose(space);
    *type = H5Aget_type(a);
    if (n != 1 || *type < 0 || H5Tget_class(*type) != want) {
        if (*type >= 0) H5Tclose(*type);
        H5Aclose(a);
        return -1;
    }
    return a;
}

int h5_read_int_attr(hid_t f, const char *name, int *out) {
    hid_t type;
    hid_t a = open_single_attr(f, name, H5T_INTEGER, &type);
    if (a < 0) return -1;
    int rc = H5Aread(a, H5T_NATIVE_INT, out) < 0 ? -1 : 0;
    H5Tclose(type);
    H5Aclose(a);
    return rc;
}

int h5_read_string_attr(hid_t f, const char *name, char *out, size_t size) {
    hid_t type;
    hid_t a = open_single_attr(f, name, H5T_STRING, &type);
    if (a < 0) return -1;
    int rc = -1;
    htri_t vlen = H5Tis_variable_str(type);
    if (vlen > 0) {
        /* Variable length (h5py's default): HDF5 allocates the string. */
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, H5T_VARIABLE);
        H5Tset_cset(mem, H5Tget_cset(type));
        char *s = NULL;
        if (H5Aread(a, mem, &s) >= 0 && s) {
            snprintf(out, size, "%s", s);
            rc = 0;
        }
        if (s) H5free_memory(s);
        H5Tclose(mem);
    } else if (vlen == 0) {
        size_t n = H5Tget_size(type);
        if (n > 0 && n < (1u << 24)) {
            hid_t mem = H5Tcopy(type);
            char *buf = xcalloc(n + 1, 1);
            if (H5Aread(a, mem, buf) >= 0) {
                snprintf(out, size, "%s", buf);
                rc = 0;
            }
            free(buf);
            H5Tclose(mem);
        }
    }
    H5Tclose(type);
    H5Aclose(a);
    return rc;
}

/* Chunked storage: libhdf5 allocates one buffer per chunk of the size the
 * file claims (the chunk shape, and each stored chunk's byte count) before
 * reading it, so a damaged claim must be caught here. Every chunk must lie
 * inside the file, and the chunk shape must be of the dataset's order. */
static int check_chunks(hid_t d, const char *name, double declared, size_t type_size, const char *path,
                        error_info *err) {
    hid_t dcpl = H5Dget_create_plist(d);
    if (dcpl < 0) return error_set(err, "%s: cannot read the layout of '/%s' (corrupted file?)", path, name);
    int chunked = H5Pget_layout(dcpl) == H5D_CHUNKED;
    hsize_t cdims[H5S_MAX_RANK];
    int crank = chunked ? H5Pget_chunk(dcpl, H5S_MAX_RANK, cdims) : 0;
    H5Pclose(dcpl);
    if (!chunked) return 0;
    double chunk_bytes = (double)(type_size ? type_size : 1);
    for (int i = 0; i < crank; i++) chunk_bytes *= (double)cdims[i];
    if (crank <= 0 || chunk_bytes > (declared > (1 << 22) ? 2 * declared : (double)(1 << 23)))
        return error_set(err, "%s: '/%s' has an impossible chunk shape (corrupted file?)", path, name);
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    hid_t space = H5Dget_space(d);
    hsize_t nchunks = 0;
    herr_t ok = H5Dget_num_chunks(d, space, &nchunks);
    int rc = 0;
    if (ok < 0) rc = error_set(err, "%s: cannot read the chunk index of '/%s' (corrupted file?)", path, name);
    for (hsize_t i = 0; !rc && i < nchunks; i++) {
        hsize_t offset[H5S_MAX_RANK];
        unsigned mask;
        haddr_t addr;
        hsize_t size;
        if (H5Dget_chunk_info(d, space, i, offset, &mask, &addr, &size) < 0 || addr == HADDR_UNDEF ||
            size > (hsize_t)st.st_size || addr > (haddr_t)st.st_size - size)
            rc = error_set(err, "%s: chunk %llu of '/%s' lies outside the file (truncated or corrupted?)", path,
                           (unsigned long long)i, name);
    }
    H5Sclose(space);
    return rc;
}

int h5_check_extent(hid_t f, const char *name, uint64_t elements, size_t mem_size, const char *path,
                    error_info *err) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return error_set(err, "%s: dataset '/%s' missing", path, name);
    hid_t type = H5Dget_type(d);
    size_t file_size = type >= 0 ? H5Tget_size(type) : 0;
    /* Numbers are 1 to 8 bytes wide: libhdf5 converts a damaged, wider type
     * by reading past its own buffers. */
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int numeric = cls == H5T_INTEGER || cls == H5T_FLOAT;
    int bad_type = numeric && (file_size < 1 || file_size > 8 || H5Tget_precision(type) > 8 * file_size);
    if (type >= 0) H5Tclose(type);
    if (bad_type) {
        H5Dclose(d);
        return error_set(err, "%s: '/%s' has an impossible number type (%zu bytes; corrupted file?)", path, name,
                         file_size);
    }
    hsize_t stored = H5Dget_storage_size(d);
    double declared = (double)elements * (double)(file_size ? file_size : 1);
    int chunks_bad = check_chunks(d, name, declared, file_size, path, err);
    H5Dclose(d);
    if (chunks_bad) return -1;
    /* deflate cannot shrink data more than about 1032:1; allow a margin. */
    if (elements > 0 && (double)stored * 2048.0 + 65536.0 < declared) {
        char a[32], b[32];
        return error_set(err, "%s: '/%s' declares %llu values (%s) but the file stores only %s for it (truncated or corrupted?)",
                         path, name, (unsigned long long)elements, memory_format(declared, a, sizeof a),
                         memory_format((double)stored, b, sizeof b));
    }
    char what[300];
    snprintf(what, sizeof what, "'/%s' (%llu values)", name, (unsigned long long)elements);
    return memory_check(path, what, (double)elements * (double)mem_size, err);
}

int h5_read_window_array(hid_t f, const char *name, const char *path, window_set *out, error_info *err) {
    memset(out, 0, sizeof *out);
    int rank = 0;
    hsize_t dims[3] = {0, 0, 0};
    H5T_class_t cls;
    size_t ts;
    /* The rank first: H5LTget_dataset_info writes one size per dimension. */
    if (H5LTget_dataset_ndims(f, name, &rank) < 0 || rank != 2 || H5LTget_dataset_info(f, name, dims, &cls, &ts) < 0 ||
        cls != H5T_INTEGER)
        return error_set(err, "%s: '/%s' must be an integer (N, L) array", path, name);
    if (dims[0] == 0 || dims[1] == 0 || dims[1] > (1u << 24) || dims[0] > ((hsize_t)1 << 40) / dims[1])
        return error_set(err, "%s: '/%s' has shape (%llu, %llu): no windows, or an absurd size", path, name,
                         (unsigned long long)dims[0], (unsigned long long)dims[1]);
    if (h5_check_extent(f, name, (uint64_t)dims[0] * dims[1], sizeof(int32_t), path, err)) return -1;
    window_set_init(out, (int64_t)dims[0], (int)dims[1]);
    if (H5LTread_dataset(f, name, H5T_NATIVE_INT32, out->ids) < 0) {
        window_set_free(out);
        return error_set(err, "%s: cannot read '/%s'", path, name);
    }
    return 0;
}

/* libhdf5 1.10 loops forever on a global heap collection whose free-space
 * object has size 0 (its parser advances by the object's size), and reads an
 * object without checking that the reference's index exists or that the
 * object fits the buffer sized from the reference's length (a crash, or a
 * heap overflow). Before variable-length strings are read, every collection
 * they refer to is walked here the way libhdf5 walks it (the signature, a
 * size inside the file, objects that each advance and end inside it), and
 * every reference must name an existing object of exactly its length. Only contiguous storage can be checked (the
 * references are read straight from the file); our writer and h5py store
 * string arrays that way. */
static int check_heap_collection(FILE *fp, uint64_t addr, uint64_t file_size, uint64_t *object_size) {
    memset(object_size, 0, 65536 * sizeof *object_size);
    unsigned char hdr[16];
    if (addr > file_size || file_size - addr < 16 || fseeko(fp, (off_t)addr, SEEK_SET) != 0 ||
        fread(hdr, 1, 16, fp) != 16 || memcmp(hdr, "GCOL", 4) != 0 || hdr[4] != 1)
        return -1;
    uint64_t size = 0;
    for (int i = 0; i < 8; i++) size |= (uint64_t)hdr[8 + i] << (8 * i);
    if (size < 16 || size > file_size - addr || size > (1u << 30)) return -1;
    unsigned char *heap = malloc((size_t)size);
    if (!heap) return -1;
    int rc = 0;
    if (fseeko(fp, (off_t)addr, SEEK_SET) != 0 || fread(heap, 1, (size_t)size, fp) != size) rc = -1;
    uint64_t p = 16;
    while (!rc && p < size) {
        if (size - p < 16) break; /* too small for an object header: free space */
        unsigned idx = heap[p] | (unsigned)heap[p + 1] << 8;
        uint64_t osize = 0;
        for (int i = 0; i < 8; i++) osize |= (uint64_t)heap[p + 8 + i] << (8 * i);
        uint64_t need = idx ? 16 + ((osize + 7) & ~(uint64_t)7) : osize;
        if (osize > size || need == 0 || need > size - p) rc = -1; /* no progress, or past the end */
        else if (idx) object_size[idx] = osize + 1; /* 0 = no such object */
        p += need;
    }
    free(heap);
    return rc;
}

int h5_check_vlen_heaps(hid_t f, const char *name, const char *path, error_info *err) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return error_set(err, "%s: dataset '/%s' missing", path, name);
    hid_t type = H5Dget_type(d), space = H5Dget_space(d);
    int vlen = type >= 0 && H5Tis_variable_str(type) > 0;
    hssize_t count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    haddr_t offset = H5Dget_offset(d);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Dclose(d);
    if (!vlen || count <= 0 || offset == HADDR_UNDEF) return 0;
    hsize_t base = 0;
    hid_t fcpl = H5Fget_create_plist(f);
    if (fcpl >= 0) {
        H5Pget_userblock(fcpl, &base);
        H5Pclose(fcpl);
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    struct stat st;
    int rc = fstat(fileno(fp), &st) != 0 ? -1 : 0;
    uint64_t file_size = rc ? 0 : (uint64_t)st.st_size, last_checked = UINT64_MAX;
    uint64_t *object_size = xcalloc(65536, sizeof *object_size); /* by index in the current collection */
    /* Each reference: 4-byte length, 8-byte collection address, 4-byte index. */
    if (!rc && (offset > file_size || (uint64_t)count > (file_size - offset) / 16)) rc = -1;
    for (hssize_t i = 0; !rc && i < count; i++) {
        unsigned char ref[16];
        if (fseeko(fp, (off_t)(offset + (uint64_t)i * 16), SEEK_SET) != 0 || fread(ref, 1, 16, fp) != 16) {
            rc = -1;
            break;
        }
        uint64_t length = ref[0] | (uint64_t)ref[1] << 8 | (uint64_t)ref[2] << 16 | (uint64_t)ref[3] << 24, addr = 0;
        for (int k = 0; k < 8; k++) addr |= (uint64_t)ref[4 + k] << (8 * k);
        if (length == 0 && addr == 0) continue; /* an empty (null) string */
        unsigned idx = ref[12] | (unsigned)ref[13] << 8;
        if (length > file_size || ref[14] || ref[15]) {
            rc = -1;
            break;
        }
        if (addr != last_checked) {
            rc = check_heap_collection(fp, addr + base, file_size, object_size);
            last_checked = addr;
        }
        if (!rc && (idx == 0 || object_size[idx] != length + 1)) rc = -1;
    }
    free(object_size);
    fclose(fp);
    if (rc) return error_set(err, "%s: the strings of '/%s' point into a damaged heap (corrupted file?)", path, name);
    return 0;
}

hid_t h5_fapl_checksummed(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0) H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
    return fapl;
}

hid_t h5_create_checksummed(const char *path) {
    hid_t fapl = h5_fapl_checksummed();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    return f;
}

int h5_superblock_version(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return -2;
    int version = -1;
    /* The superblock may follow a user block of 512, 1024, 2048, ... bytes. */
    for (uint64_t at = 0; version < 0 && at <= ((uint64_t)1 << 40); at = at ? 2 * at : 512) {
        unsigned char sig[9];
        if (fseeko(fp, (off_t)at, SEEK_SET) != 0 || fread(sig, 1, 9, fp) != 9) break;
        if (memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0) version = sig[8];
    }
    fclose(fp);
    return version;
}

struct word_search {
    const char *word;
    int found;
};

static herr_t find_word(unsigned n, const H5E_error2_t *e, void *data) {
    (void)n;
    struct word_search *s = data;
    char minor[256] = "";
    H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
    if ((e->desc && strstr(e->desc, s->word)) || strstr(minor, s->word)) s->found = 1;
    return 0;
}

/* Whether libhdf5's current error stack mentions `word`. */
static int error_stack_mentions(const char *word) {
    struct word_search s = {word, 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_word, &s);
    return s.found;
}

hid_t h5_open_checked(const char *path, const char *what, error_info *err) {
    int version = h5_superblock_version(path);
    if (version == -2) {
        error_set(err, "%s: cannot open the %s (no such file or no permission)", path, what);
        return -1;
    }
    if (version < 0) {
        error_set(err, "%s: not an HDF5 file, so not a %s", path, what);
        return -1;
    }
    if (version < H5_MIN_SUPERBLOCK_VERSION) {
        error_set(err,
                  "%s: an HDF5 file in an older format without metadata checksums (superblock version %d), which "
                  "this program does not read because damage in it can crash the HDF5 library; convert it with "
                  "`h5repack --low=2 --high=2 %s NEW.h5` (h5py: write with h5py.File(name, 'w', libver='v110')), "
                  "or rebuild it with this version of the tools",
                  path, version, path);
        return -1;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5Eclear2(H5E_DEFAULT);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    /* The root group's header is read lazily: load it now, so that damage
     * there is reported as such rather than as a missing attribute. */
    H5O_info_t info;
    int bad = f < 0 || H5Oget_info2(f, &info, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) < 0;
    if (bad) {
        /* Asked before any other call: each HDF5 call clears the stack. */
        int checksum = error_stack_mentions("checksum");
        if (f >= 0) H5Fclose(f);
        f = -1;
        error_set(err, "%s: cannot open as HDF5: %s", path,
                  checksum ? "damaged metadata (a checksum does not match)" : "truncated or damaged");
    }
    return f;
}

#define ROT32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

static uint32_t load_le32(const unsigned char *p, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n && i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

uint32_t h5_checksum(const void *data, size_t length) {
    const unsigned char *k = data;
    uint32_t a, b, c;
    a = b = c = 0xdeadbeefu + (uint32_t)length; /* initial value 0, as HDF5 uses */
    while (length > 12) {
        a += load_le32(k, 4);
        b += load_le32(k + 4, 4);
        c += load_le32(k + 8, 4);
        a -= c; a ^= ROT32(c, 4);  c += b;
        b -= a; b ^= ROT32(a, 6);  a += c;
        c -= b; c ^= ROT32(b, 8);  b += a;
        a -= c; a ^= ROT32(c, 16); c += b;
        b -= a; b ^= ROT32(a, 19); a += c;
        c -= b; c ^= ROT32(b, 4);  b += a;
        length -= 12;
        k += 12;
    }
    if (length == 0) return c;
    /* The last 1..12 bytes, zero-padded, then the final mix. */
    a += load_le32(k, length);
    b += length > 4 ? load_le32(k + 4, length - 4) : 0;
    c += length > 8 ? load_le32(k + 8, length - 8) : 0;
    c ^= b; c -= ROT32(b, 14);
    a ^= c; a -= ROT32(c, 11);
    b ^= a; b -= ROT32(a, 25);
    c ^= b; c -= ROT32(b, 16);
    a ^= c; a -= ROT32(c, 4);
    b ^= a; b -= ROT32(a, 14);
    c ^= b; c -= ROT32(b, 24);
    return c;
}

/* Recomputes the superblock checksum of an image (see h5_memory_image); -1
 * when it does not start with a superblock of version 2 or later. */
static int image_seal(void *image, size_t size) {
    unsigned char *p = image;
    if (size < 12 || memcmp(p, "\x89HDF\r\n\x1a\n", 8) != 0 || p[8] < 2) return -1;
    /* signature, version, offset and length sizes, flags; four addresses. */
    size_t covered = 12 + 4 * (size_t)p[9];
    if (p[9] == 0 || covered + 4 > size) return -1;
    uint32_t sum = h5_checksum(p, covered);
    for (int i = 0; i < 4; i++) p[covered + (size_t)i] = (unsigned char)(sum >> (8 * i));
    return 0;
}

void *h5_memory_image(hid_t f, size_t *size) {
    if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) return NULL;
    ssize_t n = H5Fget_file_image(f, NULL, 0);
    if (n <= 0) return NULL;
    void *image = malloc((size_t)n);
    if (!image || H5Fget_file_image(f, image, (size_t)n) != n || image_seal(image, (size_t)n)) {
        free(image);
        return NULL;
    }
    *size = (size_t)n;
    return image;
}
