"""Stage 6, files: what a build or a marking writes into its --out folder. A class set's
versions (`classset`), the `build` command's writing and compiling in parallel (`build`), the
folder itself, locked and written all or nothing through a staging folder (`output`), an
earlier build's files of the same sheet (`previous`), and the `mark` command's gradebook,
summary and feedback pages (`classroom`).
"""
