namespace Acr.Tensors;

/// <summary>The element type of a <see cref="Tensor"/>. Every element type is four bytes wide.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The members name the element types they stand for.")]
public enum DataType
{
    /// <summary>IEEE 754 single precision: activations, parameters, gradients, scores.</summary>
    Float32 = 0,

    /// <summary>Signed 32-bit integers: row indices (gather, scatter) and segment offsets.</summary>
    Int32 = 1,
}
