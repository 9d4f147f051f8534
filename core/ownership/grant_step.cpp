#include "ownership/grant_step.h"
