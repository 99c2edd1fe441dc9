using DeepGpu.Models;

namespace DeepGpu.Imaging;

/// <summary>
/// Reading a digit from a picture with a model: the picture is prepared the way MNIST digits were
/// (<see cref="DigitImage.Preprocess(string, PreprocessOptions?)"/>), then classified.
/// </summary>
public static class PicturePrediction
{
    /// <summary>The digit in a picture file (PNG, JPEG, BMP, GIF, TIFF, WebP).</summary>
    public static Prediction Predict(this Model model, string picturePath) => model.Predict(DigitImage.Preprocess(picturePath));

    /// <summary>The digit in a picture read from a stream; <paramref name="name"/> names it in messages.</summary>
    public static Prediction Predict(this Model model, Stream picture, string name) => model.Predict(DigitImage.Preprocess(picture, name));

    /// <summary>The digit in an already prepared picture; "no digit found" when it was blank.</summary>
    /// <exception cref="DeepGpuException">The model does not take 28x28 inputs.</exception>
    public static Prediction Predict(this Model model, PreprocessResult picture)
    {
        if (model.Network.InputShape.Size != DigitImage.PixelCount)
        {
            throw new DeepGpuException($"This model takes {model.Network.InputShape} inputs, but pictures are prepared as 28x28 digits.");
        }
        return picture.Found ? model.Classify(picture.Pixels) : Prediction.NothingFound(model.Network.Classes);
    }
}
