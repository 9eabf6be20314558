from dynafold.cli import main

main()
