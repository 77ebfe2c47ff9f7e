namespace Acr.Host.Data.Arrays;

/// <summary>The element types the IDX and NPY readers decode.</summary>
internal enum ArrayElementType
{
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,

    /// <summary>Signed 8-bit integer.</summary>
    Int8,

    /// <summary>Signed 16-bit integer.</summary>
    Int16,

    /// <summary>Signed 32-bit integer.</summary>
    Int32,

    /// <summary>32-bit IEEE float.</summary>
    Float32,

    /// <summary>64-bit IEEE float.</summary>
    Float64,
}
