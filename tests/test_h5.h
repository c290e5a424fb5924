/* HDF5 fixtures for tests, created the way the tools write HDF5: in the
 * checksummed 1.10 format, the only one they read (datasets/h5_util.h). */
#ifndef SSSD_TESTS_TEST_H5_H
#define SSSD_TESTS_TEST_H5_H

#include <hdf5.h>

#include "h5_util.h"

static inline hid_t test_h5_create(const char *path) {
    hid_t fapl = h5_fapl_checksummed();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    return f;
}

#endif
