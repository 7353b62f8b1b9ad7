"""Between retrieval and the model, and after it: what the question asks and whether the documents can
answer it (profile, question, answerability, premise), how a comparison or a calculation is split into
figures the documents state (figures, decomposition), and which passage each answer sentence really rests
on (citation_repair). Everything is derived from the indexed corpus; nothing is typed for a given file."""
