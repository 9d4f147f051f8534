// The one median of the tools' figures: benchmarks report the median of repeated runs, so one
// slow run (a page fault storm, a neighbour's burst) does not move the figure.
#pragma once

#include <vector>

namespace berth::tools {

// The middle value, or the mean of the two middle ones for an even count; 0 for none.
double median(std::vector<double> values);

}  // namespace berth::tools
