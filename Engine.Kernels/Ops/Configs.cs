// Compile-time launch configurations. A kernel generic over one of these structs is specialised by ILGPU
// for each struct, so shared-memory sizes and loop bounds are constants: 16x16 tiles and 256-thread groups
// on GPUs, 4x4 tiles and 16-thread groups on ILGPU's CPU accelerator (its default device allows 16
// threads per group, and every barrier there costs several OS-level synchronisations).
namespace DeepGpu.Kernels;

/// <summary>Edge of a square GEMM tile (the group is Size x Size threads) and Size² for shared memory.</summary>
public interface IGemmTile
{
    int Size { get; }
    int Elements { get; }
}

/// <summary>16x16 tile, 256 threads: the GPU choice.</summary>
public struct Tile16 : IGemmTile
{
    public readonly int Size => 16;
    public readonly int Elements => 256;
}

/// <summary>4x4 tile, 16 threads: for ILGPU's CPU accelerator.</summary>
public struct Tile4 : IGemmTile
{
    public readonly int Size => 4;
    public readonly int Elements => 16;
}

/// <summary>Threads in one reduction group (a power of two); also the length of its shared buffer.</summary>
public interface IGroupSize
{
    int Size { get; }
}

/// <summary>256 threads per reduction group: the GPU choice.</summary>
public struct Group256 : IGroupSize
{
    public readonly int Size => 256;
}

/// <summary>16 threads per reduction group: for ILGPU's CPU accelerator.</summary>
public struct Group16 : IGroupSize
{
    public readonly int Size => 16;
}
