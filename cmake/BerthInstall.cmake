# Installation and the CMake package for outside projects: find_package(Berth).
