// Engine.Kernels holds ILGPU kernels only: static methods over ArrayViews, no state, no I/O.
