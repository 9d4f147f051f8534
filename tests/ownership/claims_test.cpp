// Filled in with the claims tests.
#include <gtest/gtest.h>
