"""Media decoding: content sniffing and image loading."""
