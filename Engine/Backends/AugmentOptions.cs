namespace DeepGpu.Backends;

/// <summary>
/// Random affine distortion of training images (book ch.8 data augmentation): a shift of up to
/// <see cref="MaxShift"/> pixels, a rotation of up to <see cref="MaxRotationDegrees"/> and a scale in
/// [1 − MaxScale, 1 + MaxScale], each drawn per image; bilinear sampling, zero outside the image.
/// </summary>
/// <remarks>
/// Image n's transform comes from z = CounterRng.Next(seed, counter·N + n), split into four 16-bit uniforms
/// u0..u3: shift ((2u0 − 1), (2u1 − 1))·MaxShift, angle (2u2 − 1)·MaxRotationDegrees, scale 1 + (2u3 − 1)·MaxScale.
/// Output pixel p samples the input at R(−θ)·(p − centre − shift)/scale + centre, centre = ((W − 1)/2, (H − 1)/2).
/// Every backend draws the same images from the same seed.
/// </remarks>
public readonly record struct AugmentOptions(float MaxShift, float MaxRotationDegrees, float MaxScale)
{
    /// <summary>The defaults: shifts up to 2 pixels, rotations up to 10°, scaling within ±10%.</summary>
    public AugmentOptions() : this(2f, 10f, 0.1f) { }
}
