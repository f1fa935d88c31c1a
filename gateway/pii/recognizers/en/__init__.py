"""English recognizers Presidio lacks or that we run differently."""
