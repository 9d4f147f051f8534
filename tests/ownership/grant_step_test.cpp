// Filled in with the grant_step tests.
#include <gtest/gtest.h>
