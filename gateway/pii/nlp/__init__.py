"""NLP backends: run the statistical NER model once per message, hand spans to recognizers.

One module per idea: `base` is the interface the engine and recognizers see (`NlpResult`,
`NlpBackend`), `en` the English spaCy backend, `zh` the Chinese LAC backend. Importing this
package loads neither model library.
"""
