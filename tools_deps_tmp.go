package main
import (
 _ "gorgonia.org/tensor"
 _ "github.com/BurntSushi/toml"
 _ "github.com/rs/zerolog"
 _ "golang.org/x/sys/cpu"
 _ "gonum.org/v1/gonum/dsp/fourier"
)
func main(){}
