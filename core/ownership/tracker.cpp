#include "ownership/tracker.h"
