// DeepGpu: the library. See README.md and ../shared/DESIGN.md for the map.
